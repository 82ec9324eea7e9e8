"""The simulate and sweep commands: the JSON keys are the public contract; bad input is one
line naming the parameter and the value, exit code 2. Values are checked against closed
forms where the run is exact (zero keep-alive: every invocation cold)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipbench.cli import main

ROOT = Path(__file__).resolve().parents[1]

SERVICE_KEYS = [
    "requests", "completed", "rejected", "p_block", "throughput", "utilization", "p_wait",
    "wait_mean", "response_mean", "response_p50", "response_p95", "response_p99", "replicas_mean",
]  # fmt: skip


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(list(args)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    return json.loads(out[0])


def test_service_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    obj = _json(
        capsys, "simulate", "service", "--arrival-rate", "3", "--service-time", "exp:1",
        "--replicas", "2", "--concurrency", "2", "--queue-limit", "1", "--requests", "2000",
        "--replications", "3", "--seed", "1", "--json",
    )  # fmt: skip
    assert list(obj)[: len(SERVICE_KEYS)] == SERVICE_KEYS
    assert obj["requests"] == 2000
    assert obj["completed"] + obj["rejected"] == 2000
    assert obj["replications"] == 3
    assert obj["ci"]["p_block"][0] <= obj["p_block"] <= obj["ci"]["p_block"][1]


def test_service_with_hpa_and_routing(capsys: pytest.CaptureFixture[str]) -> None:
    obj = _json(
        capsys, "simulate", "service", "--arrival-rate", "6", "--service-time", "lognormal:0.5:0.5",
        "--replicas", "1", "--concurrency", "1", "--routing", "least-loaded", "--autoscaler", "hpa",
        "--min-replicas", "1", "--max-replicas", "12", "--target-utilization", "60",
        "--duration", "600", "--json",
    )  # fmt: skip
    assert obj["replicas_mean"] > 1


def test_cache_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    obj = _json(
        capsys, "simulate", "cache", "--keys", "100", "--zipf-alpha", "0.8", "--arrival-rate", "20",
        "--ttl", "2", "--ttl-mode", "reset-on-hit", "--capacity", "50", "--update-rate", "0.1",
        "--requests", "2000", "--json",
    )  # fmt: skip
    assert list(obj)[:4] == ["requests", "hit_ratio", "backend_rate", "stale_given_hit"]


def test_coldstart_json_contract_and_zero_edge_cases(capsys: pytest.CaptureFixture[str]) -> None:
    obj = _json(
        capsys, "simulate", "coldstart", "--arrival-rate", "2", "--keep-alive", "0",
        "--execution-time", "const:0", "--init-time", "const:0", "--requests", "300", "--json",
    )  # fmt: skip
    assert list(obj)[:5] == [
        "invocations", "cold_fraction", "spillover_fraction", "idle_warm_s_per_invocation", "cost_usd",
    ]  # fmt: skip
    assert obj["cold_fraction"] == 1.0  # exp(−λ·0)
    assert obj["cost_usd"] == pytest.approx(300 * 0.2e-6)


def test_hpa_replay_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Doubling scale-up with the default behavior: 2 pods at 200 % of a 100 % target → 4."""
    trace = tmp_path / "trace.csv"
    trace.write_text("t_seconds,demand\n0,2\n30,8\n")
    obj = _json(
        capsys, "simulate", "hpa", "--trace", str(trace), "--pod-request", "1",
        "--target-utilization", "100", "--min-replicas", "2", "--max-replicas", "10", "--json",
    )  # fmt: skip
    assert obj == {"replicas": [[0.0, 2], [15.0, 2], [30.0, 6]]}  # 8/2 = 400 % → min(8, 2+4)


def test_out_writes_a_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ds"
    _json(
        capsys,
        "simulate",
        "service",
        "--arrival-rate",
        "1",
        "--requests",
        "200",
        "--out",
        str(out),
        "--json",
    )
    assert pl.read_parquet(next((out / "events").glob("*.parquet"))).height == 200


def test_sweep_writes_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = tmp_path / "s.toml"
    sc.write_text(
        'model = "coldstart"\n[run]\nrequests = 400\nreplications = 2\n'
        '[params]\narrival_rate = 1.0\nexecution_time = "exp:0.5"\n'
    )
    out = tmp_path / "t.parquet"
    rc = main(["sweep", str(sc), "--grid", "provisioned=0,1", "--grid", "keep_alive=1,10",
               "--executor", "serial", "--out", str(out)])  # fmt: skip
    assert rc == 0
    t = pl.read_parquet(out)
    assert t.height == 4
    assert {"cost_usd_ci_low", "cold_fraction", "pareto"} <= set(t.columns)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["simulate", "service", "--arrival-rate", "-2"],
            "arrival rate must be > 0 requests per second, got -2.0",
        ),
        (["simulate", "service", "--arrival-rate", "0"], "arrival rate must be > 0"),
        (
            ["simulate", "service", "--arrival-rate", "1", "--service-time", "pareto:1"],
            "unknown distribution 'pareto:1'",
        ),
        (
            [
                "simulate",
                "service",
                "--arrival-rate",
                "1",
                "--autoscaler",
                "hpa",
                "--min-replicas",
                "5",
                "--max-replicas",
                "2",
            ],
            "min replicas (5) is above max replicas (2)",
        ),
        (
            ["simulate", "cache", "--keys", "10", "--arrival-rate", "1", "--ttl", "-1"],
            "--ttl must be ≥ 0 seconds, got -1.0",
        ),
        (
            ["simulate", "coldstart", "--arrival-rate", "1", "--keep-alive", "-3"],
            "keep-alive must be ≥ 0 seconds, got -3.0",
        ),
        (["sweep", "nope.toml", "--grid", "a=1"], "nope.toml: no such scenario file"),
    ],
)
def test_bad_input_is_one_clear_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert fragment in err[0]


def test_bad_trace_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "trace.csv"
    for body, fragment in [("0,1\n30,2\n10,1\n", "trace.csv:3: field t_seconds: times are not sorted"),
                           ("-1,1\n", "trace.csv:1: field t_seconds: negative")]:  # fmt: skip
        trace.write_text(body)
        rc = main(["simulate", "hpa", "--trace", str(trace), "--pod-request", "1",
                   "--target-utilization", "50", "--min-replicas", "1", "--max-replicas", "3"])  # fmt: skip
        assert rc == 2
        assert fragment in capsys.readouterr().err


def test_hpa_out_writes_replica_samples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "trace.csv"
    trace.write_text("0,2\n30,8\n")
    out = tmp_path / "ds"
    obj = _json(
        capsys, "simulate", "hpa", "--trace", str(trace), "--pod-request", "1",
        "--target-utilization", "100", "--min-replicas", "2", "--max-replicas", "10",
        "--out", str(out), "--json",
    )  # fmt: skip
    from pipbench.dataset import open_dataset

    samples = open_dataset(out).samples().collect()
    assert samples["value"].to_list() == [float(n) for _, n in obj["replicas"]]
    assert set(samples["metric"]) == {"sim_replicas"}


def test_sweep_objectives_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = tmp_path / "s.toml"
    sc.write_text('model = "service"\n[run]\nrequests = 300\n[params]\narrival_rate = 1.0\n')
    obj = _json(capsys, "sweep", str(sc), "--grid", "replicas=1,2", "--executor", "serial",
                "--objectives", "replicas_mean,wait_mean", "--json")  # fmt: skip
    assert obj["objectives"] == ["replicas_mean", "wait_mean"]
    assert [r["replicas"] for r in obj["pareto"]] == [1, 2]
    assert main(["sweep", str(sc), "--grid", "replicas=1", "--objectives", "cost"]) == 2
    assert "--objectives must be two summary keys" in capsys.readouterr().err
