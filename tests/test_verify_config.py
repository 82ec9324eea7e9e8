"""Canary configs (TOML, Kayenta JSON), dataset selection and the `pipbench verify` CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipbench.cli import main
from pipbench.dataset import open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.verify import load_canary_config, run_canary
from pipbench.verify.config import parse_selector

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

TOML = """
[canary]
alpha = 0.05
correction = "holm"
group_weights = { latency = 60, errors = 40 }

[[metrics]]
name = "latency"
table = "events"
where = { name = "GET /api" }
direction = "increase"
tolerance = 0.02
group = "latency"
critical = true

[[metrics]]
name = "p95"
table = "events"
where = { name = "GET /api" }
quantile = 0.95
group = "latency"

[[metrics]]
name = "errors"
table = "events"
errors = true
interval = "1m"
group = "errors"

[[metrics]]
name = "cpu"
table = "samples"
metric = "cpu_ratio"
group = "saturation"
"""

KAYENTA = {
    "name": "api-canary",
    "judge": {"name": "NetflixACAJudge-v1.0"},
    "metrics": [
        {
            "name": "cpu",
            "query": {"type": "prometheus", "metricName": "cpu_ratio"},
            "groups": ["system"],
            "analysisConfigurations": {
                "canary": {
                    "direction": "increase",
                    "critical": True,
                    "effectSize": {"criticalIncrease": 1.05},
                }
            },
            "scopeName": "default",
        }
    ],
    "classifier": {"groupWeights": {"system": 100}},
}


def make_dataset(path: Path, *, slow: float) -> Path:
    """Two versions: 2.4.0 (baseline) and 2.5.0 (canary, `slow`× latency, 3× errors, +cpu)."""
    rng = np.random.default_rng(0)
    ds = open_dataset(path)
    rows = []
    for version, factor, err in (("2.4.0", 1.0, 0.002), ("2.5.0", slow, 0.006)):
        n = 3000
        ts = [T0 + dt.timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 1800, n))]
        rows.append(
            pl.DataFrame(
                {
                    "timestamp": ts,
                    "duration_s": rng.lognormal(np.log(0.2 * factor), 0.4, n),
                    "name": ["GET /api"] * n,
                    "status": ["200"] * n,
                    "ok": rng.random(n) > err,
                    "version": [version] * n,
                }
            )
        )
    events = pl.concat(rows)
    mins = [T0 + dt.timedelta(minutes=i) for i in range(30)]
    samples = pl.concat(
        pl.DataFrame(
            {
                "timestamp": mins,
                "metric": ["cpu_ratio"] * 30,
                "value": 0.5 * f + rng.normal(0, 0.01, 30),
                "version": [v] * 30,
            }
        )
        for v, f in (("2.4.0", 1.0), ("2.5.0", slow))
    )
    ds.write({"events": events, "samples": samples}, key="test", source="test.json")
    return path


def test_parse_selector() -> None:
    assert parse_selector("version=2.4.0, region=eu") == {"version": "2.4.0", "region": "eu"}
    with pytest.raises(ConfigError, match="label=value"):
        parse_selector("version")


def test_toml_config_run_over_dataset(tmp_path: Path) -> None:
    ds = open_dataset(make_dataset(tmp_path / "ds", slow=1.3))
    cfg_path = tmp_path / "canary.toml"
    cfg_path.write_text(TOML)
    cfg = load_canary_config(cfg_path)
    assert [m.spec.name for m in cfg.metrics] == ["latency", "p95", "errors", "cpu"]
    assert cfg.metrics[2].spec.kind == "count"
    res = run_canary(ds, cfg, "version=2.4.0", "version=2.5.0")
    assert res.verdict == "fail"
    assert "latency" in res.reason
    by = {m.name: m for m in res.metrics}
    assert by["latency"].comparison.effect == pytest.approx(0.3, abs=0.06)
    assert by["errors"].comparison.method in ("poisson", "quasi-poisson")
    assert by["latency"].comparison.n_canary == 3000
    # A/A: the baseline against itself passes
    same = run_canary(ds, cfg, "version=2.4.0", "version=2.4.0")
    assert same.verdict == "pass"


def test_kayenta_json_config(tmp_path: Path) -> None:
    ds = open_dataset(make_dataset(tmp_path / "ds", slow=1.3))
    p = tmp_path / "kayenta.json"
    p.write_text(json.dumps(KAYENTA))
    cfg = load_canary_config(p)
    assert cfg.judge == "kayenta"
    assert cfg.metrics[0].kayenta.critical_increase == 1.05
    res = run_canary(ds, cfg, {"version": "2.4.0"}, {"version": "2.5.0"})
    assert res.classification == "Fail"
    assert res.metrics[0].classification == "High"


def test_config_errors(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text('[[metrics]]\nname = "x"\nfoo = 1\n')
    with pytest.raises(InputError, match="unknown keys"):
        load_canary_config(p)
    p.write_text("[canary]\n")
    with pytest.raises(InputError, match="metrics"):
        load_canary_config(p)
    p.write_text("not toml = = =")
    with pytest.raises(InputError, match="TOML"):
        load_canary_config(p)
    ds = open_dataset(make_dataset(tmp_path / "ds", slow=1.0))
    p.write_text('[[metrics]]\nname = "x"\ntable = "events"\n')
    with pytest.raises(InputError, match="no label 'region'"):
        run_canary(ds, load_canary_config(p), "region=eu", "region=us")


# ----------------------------------------------------------------------------- CLI
def _write(path: Path, values: np.ndarray) -> Path:
    frame = pl.DataFrame({"value": values})
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_csv(path)
    return path


def test_cli_two_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(1)
    b = _write(tmp_path / "b.csv", rng.lognormal(0, 0.5, 400))
    c = _write(tmp_path / "c.parquet", rng.lognormal(0.3, 0.5, 400))
    rc = main(["verify", "--baseline", str(b), "--canary", str(c), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert out["verdict"] == "fail"
    assert out["n_canary"] == 400
    rc = main(["verify", "--baseline", str(b), "--canary", str(b)])
    assert rc == 0
    assert capsys.readouterr().out.startswith("Pass")


def test_cli_dataset_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = make_dataset(tmp_path / "ds", slow=1.3)
    cfg = tmp_path / "canary.toml"
    cfg.write_text(TOML)
    rc = main(
        [
            "verify",
            "--dataset",
            str(ds),
            "--baseline",
            "version=2.4.0",
            "--canary",
            "version=2.5.0",
            "--config",
            str(cfg),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 1
    assert out.startswith("FAIL")
    assert "latency: fail" in out


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = _write(tmp_path / "b.csv", np.ones(10))
    rc = main(["verify", "--baseline", str(b), "--canary", str(b), "--column", "latency"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "no column 'latency'" in err
    assert err.count("\n") == 1
    rc = main(["verify", "--baseline", str(tmp_path / "missing.csv"), "--canary", str(b)])
    assert rc == 2
    rc = main(["verify", "--dataset", str(tmp_path), "--baseline", "v=1", "--canary", "v=2"])
    assert rc == 2
    assert "--config" in capsys.readouterr().err
    # all-NaN canary → nodata exit code 3, never a pass
    n = _write(tmp_path / "n.csv", np.full(10, np.nan))
    assert main(["verify", "--baseline", str(b), "--canary", str(n)]) == 3


def test_cli_units_kind_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Units are converted (s vs ms), negative latencies are an error with --kind latency,
    and error counts with an exposure column use the exact Poisson test."""
    rng = np.random.default_rng(2)
    lat = rng.lognormal(-2, 0.3, 300)
    b = _write(tmp_path / "b.csv", lat)
    c = _write(tmp_path / "c.csv", lat * 1000)
    assert main(["verify", "-b", str(b), "-c", str(c), "--units", "s,ms", "--json"]) == 0
    assert "converted from ms to s" in capsys.readouterr().out
    neg = _write(tmp_path / "neg.csv", np.r_[lat[:-1], -0.1])
    assert main(["verify", "-b", str(b), "-c", str(neg), "--kind", "latency"]) == 2
    assert "negative latencies" in capsys.readouterr().err
    eb, ec = tmp_path / "eb.csv", tmp_path / "ec.csv"
    pl.DataFrame({"errors": [0, 1, 0, 1], "requests": [1000] * 4}).write_csv(eb)
    pl.DataFrame({"errors": [3, 4, 2, 5], "requests": [1000] * 4}).write_csv(ec)
    rc = main(
        [
            "verify",
            "-b",
            str(eb),
            "-c",
            str(ec),
            "--column",
            "errors",
            "--exposure-column",
            "requests",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert out["method"] == "poisson"
