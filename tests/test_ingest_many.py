"""Ingesting many files: folder/glob expansion, going on past bad files, and safety under
concurrency and crashes.

What a user relies on: ``pipbench ingest DIR`` ingests every readable file, lists the
unreadable ones and exits non-zero; two ingests into one dataset at once lose nothing (the
dataset's manifest is updated under an exclusive ``fcntl`` lock); a process killed in the
middle of an ingest leaves the dataset readable and exactly as it was before that file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from pipbench.cli import main
from pipbench.dataset import open_dataset
from pipbench.errors import InputError
from pipbench.ingest import expand_inputs, ingest
from tests.ingest_fixtures import DATA

ROOT = Path(__file__).resolve().parents[1]
PROM = DATA / "prometheus-text" / "promtool_dump.om.txt"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _exports(folder: Path, n: int, tag: str) -> list[Path]:
    """``n`` distinct small Prometheus text files (distinct content, distinct keys)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"{tag}-{i}.prom"
        p.write_text(
            f'up{{job="{tag}",i="{i}"}} 1 1700000000000\nup{{job="{tag}",i="{i}"}} 0 1700000015000\n'
        )
        out.append(p)
    return out


def _state(ds: Path) -> tuple[list[str], list[str]]:
    """The committed sources and every sample row (as text, so that NaN equals NaN)."""
    d = open_dataset(ds)
    rows = d.samples().collect().sort(pl.all()).rows()
    return d.sources(), [repr(r) for r in rows]


def test_expand_inputs_walks_folders_globs_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "a" / "deep").mkdir(parents=True)
    for rel in ("a/x.prom", "a/deep/y.json", "a/.hidden", "b.csv", "ds/samples/part.parquet"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    got = expand_inputs([tmp_path], exclude=[tmp_path / "ds"])
    assert [p.relative_to(tmp_path).as_posix() for p in got] == [
        "b.csv",
        "a/x.prom",
        "a/deep/y.json",
    ][:0] or sorted(p.relative_to(tmp_path).as_posix() for p in got) == [
        "a/deep/y.json",
        "a/x.prom",
        "b.csv",
    ]
    globbed = expand_inputs([str(tmp_path / "**" / "*.prom"), tmp_path / "a" / "x.prom"])
    assert globbed == [tmp_path / "a" / "x.prom"]  # the same file once
    with pytest.raises(InputError, match="no file matches"):
        expand_inputs([str(tmp_path / "*.nothing")])


def test_cli_goes_on_past_bad_files_and_exits_nonzero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "exports"
    good = _exports(src, 3, "good")
    (src / "notes.txt").write_text("the load test went fine until 14:05\n")
    (src / "cut.json").write_text(
        '{"status": "success", "data": {"resultType": "matrix", "result": [{"metr'
    )
    ds = tmp_path / "ds"
    rc = main(["ingest", str(src), "--dataset", str(ds)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "2 of 5 files not ingested" in err
    assert "notes.txt" in err
    assert "cut.json" in err
    sources, rows = _state(ds)
    assert len(sources) == len(good)
    assert len(rows) == 2 * len(good)


def test_two_processes_ingesting_at_once_lose_nothing(tmp_path: Path) -> None:
    a = _exports(tmp_path / "a", 8, "a")
    b = _exports(tmp_path / "b", 8, "b")
    ds = tmp_path / "ds"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pipbench", "ingest", str(folder), "--dataset", str(ds)],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for folder in (tmp_path / "a", tmp_path / "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    sources, rows = _state(ds)
    assert len(sources) == len(a) + len(b)
    assert len(rows) == 2 * (len(a) + len(b))
    assert not (ds / ".staging").exists() or not any((ds / ".staging").iterdir())


_KILL_BEFORE_COMMIT = textwrap.dedent(
    """
    import os, signal, sys
    from pipbench.dataset import Dataset
    from pipbench.ingest import ingest

    def die(self, manifest):  # parts staged and renamed into place, manifest not yet written
        os.kill(os.getpid(), signal.SIGKILL)

    Dataset._write_manifest = die
    ingest([sys.argv[1]], sys.argv[2])
    """
)


def test_killed_between_staging_and_commit_leaves_dataset_as_before(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    ingest(_exports(tmp_path / "first", 1, "first"), ds)
    before = _state(ds)
    victim = _exports(tmp_path / "victim", 1, "victim")[0]
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_BEFORE_COMMIT, str(victim), str(ds)],
        env=_env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL
    assert _state(ds) == before
    # The next write commits normally and removes what the killed one left behind.
    ingest(_exports(tmp_path / "later", 1, "later"), ds)
    sources, _ = _state(ds)
    assert len(sources) == 2
    live = {p.name for p in (ds / "samples").glob("*.parquet")}
    assert len(live) == 2


def test_killed_during_a_large_ingest_leaves_dataset_as_before(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    ingest([PROM], ds)
    before = _state(ds)
    big = tmp_path / "big.prom"
    with open(big, "w") as fh:
        for i in range(200_000):
            fh.write(
                f'http_requests_total{{pod="p{i % 50}",code="200"}} {i} {1700000000000 + 15000 * (i // 50)}\n'
            )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipbench", "ingest", str(big), "--dataset", str(ds)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)  # import + part of the parse; wherever it is, the outcome must hold
    proc.kill()
    proc.wait(timeout=60)
    sources, rows = _state(ds)
    if len(sources) == len(before[0]):
        assert (sources, rows) == before  # killed before the commit: nothing changed
    else:  # killed after the commit (a fast machine): the whole file, never a part of it
        assert len(rows) == len(before[1]) + 200_000
    shutil.rmtree(ds / ".staging", ignore_errors=True)


def test_formats_lists_every_reader(capsys: pytest.CaptureFixture[str]) -> None:
    from pipbench.ingest import reader_names

    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for name in reader_names():
        assert name in out
    for name in ("prometheus-text", "k6", "jmeter", "locust", "gatling", "cloudwatch"):
        assert name in reader_names()


def test_cli_json_reports_files_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    src = tmp_path / "in"
    _exports(src, 1, "ok")
    (src / "bad.prom").write_text('up{job="a" 1\nup 2\nup 3\n')
    rc = main(["ingest", str(src), "--dataset", str(tmp_path / "ds"), "--json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 1
    assert [x.get("format") for x in lines] == [None, "prometheus-text"]
    assert lines[0]["file"].endswith("bad.prom")
    assert ":1:" in lines[0]["error"]  # names the file and the line


def test_cli_option_reaches_the_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--option timezone=…`` shifts zone-less Grafana times (14:00 in Paris = 13:00Z)."""
    src = DATA / "grafana-csv" / "panel_series_as_columns.csv"
    ds = tmp_path / "ds"
    assert main(["ingest", str(src), "-d", str(ds), "-o", "timezone=Europe/Paris"]) == 0
    assert "2024-03-10T13:00:00Z" in capsys.readouterr().out
    assert main(["ingest", str(src), "-d", str(ds), "-o", "timezone"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_cli_single_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "cut.json"
    p.write_text('{"status": "success", "data": {"resultType": "matrix", "result": [{"metr')
    assert main(["ingest", str(p), "--dataset", str(tmp_path / "ds")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("pipbench: error: ")
    assert "cut.json" in err[0]
