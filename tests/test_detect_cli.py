"""``pipbench detect`` end to end: one row per input row, same order; bad input is one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipbench.cli import main

T0 = 1_700_006_400


def _write(path: Path, ts, vals, header: str = "timestamp,value") -> Path:
    lines = [header] + [
        f"{t},{'' if v is None or (isinstance(v, float) and np.isnan(v)) else v}"
        for t, v in zip(ts, vals, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_spike_and_shift_found_online_rows_in_input_order(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = rng.normal(10, 1, 800)
    y[300] += 15
    y[600:] += 8
    ts = T0 + 300 * np.arange(800)
    perm = rng.permutation(800)
    src = _write(tmp_path / "in.csv", ts[perm], y[perm])
    rc, out, _ = _run(
        ["detect", "--input", str(src), "--output", str(tmp_path / "o.csv"), "--online"], capsys
    )
    assert rc == 0
    assert "800 rows" in out
    o = pl.read_csv(tmp_path / "o.csv")
    assert o.columns == ["timestamp", "value", "anomaly_score", "is_anomaly"]
    assert o["timestamp"].to_list() == ts[perm].tolist()
    assert np.allclose(o["value"].to_numpy(), y[perm], atol=1e-5)
    flagged = sorted(o.filter(pl.col("is_anomaly"))["timestamp"].to_list())
    assert flagged[0] == ts[300]
    assert any(ts[600] <= f <= ts[603] for f in flagged)
    assert o["anomaly_score"].min() >= 0
    assert o["anomaly_score"].max() <= 1


@pytest.mark.parametrize("method", ["online", "robust-z", "seasonal-esd"])
def test_every_method_runs_and_iso_timestamps_are_kept_verbatim(tmp_path, capsys, method):
    ts = [
        f"2026-01-0{1 + i // 288}T{(i % 288) // 12:02d}:{(i % 12) * 5:02d}:00Z" for i in range(900)
    ]
    y = np.sin(2 * np.pi * np.arange(900) / 288) + np.random.default_rng(1).normal(0, 0.05, 900)
    y[450] += 3
    src = _write(tmp_path / "in.csv", ts, y)
    rc, _, err = _run(
        ["detect", "-i", str(src), "-o", str(tmp_path / "o.csv"), "--method", method], capsys
    )
    assert rc == 0, err
    o = pl.read_csv(tmp_path / "o.csv", infer_schema=False)
    assert o["timestamp"].to_list() == ts
    assert o["is_anomaly"][450] == "true"


def test_duplicates_and_gaps_keep_one_row_per_input_row(tmp_path, capsys):
    ts = [T0, T0 + 60, T0 + 60, T0 + 120, T0 + 180] * 20
    vals = [1.0, 2.0, None, 1.5, 1.0] * 20
    src = _write(tmp_path / "in.csv", ts, vals)
    rc, _, _ = _run(["detect", "-i", str(src), "-o", str(tmp_path / "o.csv"), "--online"], capsys)
    assert rc == 0
    o = pl.read_csv(tmp_path / "o.csv")
    assert o.height == 100
    assert o["timestamp"].to_list() == ts
    assert o.filter(pl.col("value").is_nan())["anomaly_score"].to_list() == [0.0] * 20


@pytest.mark.parametrize(
    ("vals", "n_rows"),
    [([5.0] * 50, 50), ([None] * 10, 10), ([3.0], 1), ([], 0)],
    ids=["constant", "all-nan", "single", "empty"],
)
def test_degenerate_series_are_documented_results_not_crashes(tmp_path, capsys, vals, n_rows):
    src = _write(tmp_path / "in.csv", [T0 + 60 * i for i in range(len(vals))], vals)
    rc, _, err = _run(["detect", "-i", str(src), "-o", str(tmp_path / "o.csv"), "--online"], capsys)
    assert rc == 0, err
    o = pl.read_csv(tmp_path / "o.csv") if n_rows else None
    if o is not None:
        assert o.height == n_rows
        assert not o["is_anomaly"].any()


def test_missing_value_column_is_one_clear_line(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("timestamp,latency\n1,2\n")
    rc, _, err = _run(["detect", "-i", str(src), "-o", str(tmp_path / "o.csv")], capsys)
    assert rc == 2
    assert "no 'value' column" in err
    assert str(src) in err
    assert not (tmp_path / "o.csv").exists()


def test_non_numeric_value_names_the_line(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("timestamp,value\n1,2\n2,abc\n")
    rc, _, err = _run(["detect", "-i", str(src), "-o", str(tmp_path / "o.csv")], capsys)
    assert rc == 2
    assert ":3:" in err
    assert "abc" in err


def test_offline_method_with_online_flag_is_refused(tmp_path, capsys):
    src = _write(tmp_path / "in.csv", [1, 2, 3], [1, 2, 3])
    rc, _, err = _run(
        [
            "detect",
            "-i",
            str(src),
            "-o",
            str(tmp_path / "o.csv"),
            "--online",
            "--method",
            "seasonal-esd",
        ],
        capsys,
    )
    assert rc == 2
    assert "offline" in err
    rc, _, err = _run(
        ["detect", "-i", str(src), "-o", str(tmp_path / "o.csv"), "--method", "magic"], capsys
    )
    assert rc == 2
    assert "online" in err


def test_dataset_series_selection(tmp_path, capsys):
    from pipbench.dataset import open_dataset

    ds = open_dataset(tmp_path / "ds")
    t = pl.Series([T0 + 60 * i for i in range(300)]).cast(pl.Int64) * 1_000_000
    frames = []
    for inst in ["a", "b"]:
        v = np.random.default_rng(3).normal(1, 0.1, 300)
        if inst == "b":
            v[200] = 5
        frames.append(
            pl.DataFrame(
                {"timestamp": t, "metric": "lat", "value": v, "source": "x", "instance": inst}
            ).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
        )
    ds.write({"samples": pl.concat(frames)}, key="k", source="test")
    out = tmp_path / "o.csv"
    rc, _, err = _run(
        ["detect", "-i", str(tmp_path / "ds"), "-o", str(out), "--metric", "lat"], capsys
    )
    assert rc == 2
    assert "2 series" in err
    rc, _, err = _run(
        [
            "detect",
            "-i",
            str(tmp_path / "ds"),
            "-o",
            str(out),
            "--metric",
            "lat",
            "-l",
            "instance=b",
            "--online",
        ],
        capsys,
    )
    assert rc == 0, err
    o = pl.read_csv(out)
    assert o.height == 300
    assert o["is_anomaly"].arg_true().to_list() == [200]


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=0, max_size=60),
    st.randoms(use_true_random=False),
)
def test_any_csv_of_numbers_gives_one_row_per_input_row(tmp_path_factory, vals, rnd):
    """Property: whatever the values and timestamp order, rows in == rows out, same order."""
    ts = [T0 + 60 * (i // 2) for i in range(len(vals))]
    rnd.shuffle(ts)
    d = tmp_path_factory.mktemp("p")
    src = _write(d / "in.csv", ts, vals)
    assert main(["detect", "-i", str(src), "-o", str(d / "o.csv"), "--online"]) == 0
    if vals:
        o = pl.read_csv(d / "o.csv")
        assert o["timestamp"].to_list() == ts
        assert o["anomaly_score"].is_between(0, 1).all()
