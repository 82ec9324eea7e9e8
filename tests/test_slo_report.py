"""SLO evaluation on a dataset, end to end through the CLI.

References: hand computation of exact event counts from constant-rate counters (the
budget), the Workbook rule semantics (alerts), Prometheus histogram semantics (latency
SLIs), and the spec fixtures of tests/data/slo/.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipbench.cli import main
from pipbench.dataset import open_dataset
from pipbench.slo import SLI, UnmappedSLIError, read_slo_specs, sli_series, slo_report

DATA = Path(__file__).parent / "data" / "slo"
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
HOURS = 6
OUTAGE = (T0 + dt.timedelta(hours=3), T0 + dt.timedelta(hours=3, minutes=20))


def _samples() -> pl.DataFrame:
    """30 s scrapes: 10 req/s of 200s; 500s at 0.1/s except 5/s during the outage;
    a counter reset of the 200s at 2 h; latency histogram for /search."""
    t = np.arange(0, HOURS * 3600 + 1, 30)
    ok_rate = np.full(t.size, 10.0)
    err_rate = np.where((t > 3 * 3600) & (t <= 3 * 3600 + 1200), 5.0, 0.1)
    ok = np.concatenate([[0], np.cumsum(ok_rate[1:] * 30)])
    ok[t >= 7200] -= ok[t == 7200][0] - 30  # restart at 2 h: counter resets to 30
    err = np.concatenate([[0], np.cumsum(err_rate[1:] * 30)])
    ts = [T0 + dt.timedelta(seconds=int(s)) for s in t]
    frames = [
        pl.DataFrame(
            {
                "timestamp": ts,
                "metric": "http_requests_total",
                "value": ok,
                "code": "200",
                "job": "myservice",
            }
        ),
        pl.DataFrame(
            {
                "timestamp": ts,
                "metric": "http_requests_total",
                "value": err,
                "code": "500",
                "job": "myservice",
            }
        ),
    ]
    for le, frac in (("0.1", 0.5), ("0.3", 0.995), ("+Inf", 1.0)):
        frames.append(
            pl.DataFrame(
                {
                    "timestamp": ts,
                    "metric": "http_request_duration_seconds_bucket",
                    "value": (t * 10.0 * frac),
                    "le": le,
                    "endpoint": "/search",
                }
            )
        )
    return pl.concat(frames, how="diagonal")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slo") / "ds"
    ds = open_dataset(path)
    ann = pl.DataFrame(
        {
            "timestamp": [OUTAGE[0]],
            "end": [OUTAGE[1]],
            "kind": ["incident"],
            "text": ["checkout errors"],
        }
    )
    ds.write({"samples": _samples(), "annotations": ann}, key="synthetic", source="synthetic")
    return path


def test_exact_event_counts() -> None:
    """Hand: total = 200s + 500s events. At the 2 h restart the counter reads 30: Prometheus
    (and we) count those 30, so the 300 requests of that scrape interval become 30."""
    s = sli_series(
        SLI("ratio", bad='http_requests_total{code="500"}', total="http_requests_total"),
        _samples(),
        step="1m",
    )
    bad = 0.1 * (HOURS * 3600 - 1200) + 5.0 * 1200
    ok = 10.0 * HOURS * 3600 - 300 + 30
    assert float(s["total"].sum()) == pytest.approx(ok + bad)
    assert float((s["total"] - s["good"]).sum()) == pytest.approx(bad)


def test_sloth_report_budget_and_alerts(dataset: Path) -> None:
    """Sloth spec on the dataset: budget over the data (< 30 d), page alerts detect the
    outage (5/15 ≈ 33 % errors ≫ 1.44 %), the incident annotation is matched."""
    slo = read_slo_specs(DATA / "sloth.yaml")[0]
    rep = slo_report(slo, open_dataset(dataset))
    bad = 0.1 * (HOURS * 3600 - 1200) + 5.0 * 1200
    total = 10.0 * HOURS * 3600 - 270 + bad
    assert rep.budget.total == pytest.approx(total)
    assert rep.budget.consumed == pytest.approx(bad / (0.001 * total))
    summary = {s["name"]: s for s in rep.backtest.summary()}
    assert summary["page-quick"]["detected"] == 1
    # the 1 h window passes 1.44 % after ~1 min of a 33 % error ratio; minute steps → 60 s
    assert summary["page-quick"]["mean_detection_s"] == 60
    assert rep.burn["1h"] == pytest.approx(0.1 / 10.1 / 0.001, rel=1e-6)


def test_pyrra_latency_and_openslo_threshold(dataset: Path) -> None:
    """Pyrra latency: good = bucket le=0.1 / _count. Here le=0.1 holds 50 %, so the SLI is 0.5
    (the histogram has no _count series, so it is unmapped → said clearly). OpenSLO p99 < 0.3 s
    per 1 m slice: hand p99 = 0.1 + 0.2·(0.99−0.5)/(0.995−0.5) = 0.29798 < 0.3 → every slice good."""
    ds = open_dataset(dataset)
    lat = read_slo_specs(DATA / "pyrra.yaml")[1]
    s = sli_series(lat.sli, ds.samples())  # job="pyrra" matches nothing: zero events
    assert float(s["total"].sum()) == 0
    (thr,) = read_slo_specs(DATA / "openslo-v1-latency.yaml")
    rep = slo_report(thr, ds)
    assert rep.budget.total > 300
    assert rep.budget.sli == 1.0


def test_unmapped_sli_says_so(
    tmp_path: Path, dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A query outside the mapped forms is reported by name, in the text and JSON reports."""
    spec = tmp_path / "odd.yaml"
    spec.write_text("""version: "prometheus/v1"
service: "svc"
slos:
  - name: "odd"
    objective: 99
    sli:
      events:
        error_query: avg_over_time(errors[{{.window}}])
        total_query: sum(rate(http_requests_total[{{.window}}]))
""")
    with pytest.raises(UnmappedSLIError, match="avg_over_time"):
        slo_report(read_slo_specs(spec)[0], open_dataset(dataset))
    assert main(["slo", "report", str(spec), "--dataset", str(dataset)]) == 0
    assert "not evaluated: cannot map the SLI's bad query 'avg_over_time" in capsys.readouterr().out


def test_cli_report_json_and_text(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`slo report --json`: budget, burn, alert rules and intervals per SLO; the text table
    carries the same numbers."""
    assert (
        main(
            [
                "slo",
                "report",
                str(DATA / "sloth.yaml"),
                "--dataset",
                str(dataset),
                "--json",
                "--name",
                "myservice-requests-availability",
                "--alerts",
                "workbook",
            ]
        )
        == 0
    )
    (rep,) = json.loads(capsys.readouterr().out)
    assert rep["slo"]["target"] == 0.999
    assert [r["name"] for r in rep["alert_rules"]] == ["page-1h", "page-6h", "ticket-3d"]
    assert rep["incidents"][0]["detected"]
    assert rep["budget"]["compliant"] is False
    assert main(["slo", "report", str(DATA / "sloth.yaml"), "--dataset", str(dataset)]) == 0
    text = capsys.readouterr().out
    assert "SLO myservice-requests-availability: target 99.9000%" in text
    assert "page-quick" in text
    assert (
        main(
            [
                "slo",
                "report",
                str(DATA / "sloth.yaml"),
                "-d",
                str(dataset),
                "--json",
                "--period",
                "week",
            ]
        )
        == 0
    )
    weekly = json.loads(capsys.readouterr().out)[0]["compliance"]
    assert weekly[0]["period_start"].startswith("2026-02-23")  # 2026-03-01 is a Sunday


def test_cli_report_bad_arguments(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown alert family or SLO name: one line, exit 2."""
    assert (
        main(["slo", "report", str(DATA / "sloth.yaml"), "-d", str(dataset), "--alerts", "nope"])
        == 2
    )
    assert "--alerts 'nope'" in capsys.readouterr().err
    assert (
        main(["slo", "report", str(DATA / "sloth.yaml"), "-d", str(dataset), "--name", "zz"]) == 2
    )


def test_events_sli_for_simulated_data(tmp_path: Path) -> None:
    """Simulated traffic lands in `events`: an SLI with source="events" counts good = ok and
    fast enough. Hand: 600 events over 10 minutes, every 10th slow (0.5 s > 0.3 s) and
    every 50th failed (all of them also slow) → bad = 60 + 12 − 12 = 60."""
    n = 600
    ts = [T0 + dt.timedelta(seconds=i) for i in range(n)]
    ev = pl.DataFrame(
        {
            "timestamp": ts,
            "duration_s": [0.5 if i % 10 == 0 else 0.1 for i in range(n)],
            "name": "GET /",
            "ok": [i % 50 != 0 for i in range(n)],
        }
    )
    ds = open_dataset(tmp_path / "sim")
    ds.write({"events": ev}, key="sim", source="sim")
    from pipbench.slo import SLO, Window

    slo = SLO("sim-latency", 0.9, Window(3600), SLI("ratio", source="events", threshold=0.3))
    rep = slo_report(slo, ds)
    assert rep.budget.total == n
    assert rep.budget.bad == 60
    assert rep.budget.consumed == pytest.approx(60 / (0.1 * 600))


def test_increments_land_in_left_open_steps() -> None:
    """A sample exactly at 00:01 closes the step (00:00, 00:01]; the next one opens the next.
    Hand: counter 0 @00:00, 5 @00:01, 7 @00:01:30, 9 @00:02 → steps 00:01 → 5, 00:02 → 4."""
    from pipbench.sli.selectors import Selector
    from pipbench.slo import counter_increments

    ts = [
        T0,
        T0 + dt.timedelta(minutes=1),
        T0 + dt.timedelta(seconds=90),
        T0 + dt.timedelta(minutes=2),
    ]
    f = pl.DataFrame({"timestamp": ts, "metric": "c", "value": [0.0, 5, 7, 9]})
    out = counter_increments(f, Selector("c"), step="1m")
    assert out.rows() == [(T0 + dt.timedelta(minutes=1), 5.0), (T0 + dt.timedelta(minutes=2), 4.0)]


def test_promql_mode_uses_rate_ratios(dataset: Path) -> None:
    """--promql: ratios are sum(rate(bad[w]))/sum(rate(total[w])) at every step. Hand: for
    the steady tail, rate() of linear counters is exact, so the 5m ratio at 6 h is
    0.1 / 10.1 and the burn 0.1 / 10.1 / 0.001; the outage is detected as in count mode."""
    from pipbench.slo import promql_error_ratios

    slo = read_slo_specs(DATA / "sloth.yaml")[0]
    ratios = promql_error_ratios(slo.sli, open_dataset(dataset).samples(), [300.0], step="1m")
    last = ratios.row(-1, named=True)
    assert last["timestamp"] == T0 + dt.timedelta(hours=HOURS)
    assert last["ratio_300"] == pytest.approx(0.1 / 10.1, rel=1e-12)
    rep = slo_report(slo, open_dataset(dataset), promql=True)
    assert rep.burn["5m"] == pytest.approx(0.1 / 10.1 / 0.001, rel=1e-9)
    summary = {s["name"]: s for s in rep.backtest.summary()}
    assert summary["page-quick"]["detected"] == 1
    assert summary["page-quick"]["mean_detection_s"] == 60
