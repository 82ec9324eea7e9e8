"""Spec readers against spec files written the way each project documents them.

References: the OpenSLO README (v1 SLO/SLI/AlertPolicy/AlertCondition, v1alpha
timeWindows/ratioMetrics), Sloth's getting-started spec and Kubernetes CRD example, Pyrra's
examples/kubernetes ServiceLevelObjective CRDs (fixtures under tests/data/slo/).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipbench.cli import main
from pipbench.errors import InputError
from pipbench.slo import read_slo_specs
from pipbench.slo.promql import (
    CounterQuery,
    QuantileQuery,
    RatioQuery,
    Unmapped,
    map_counter,
    map_gauge,
    map_ratio,
)

DATA = Path(__file__).parent / "data" / "slo"


def test_openslo_v1_referenced_sli_objectives_and_alert_policy() -> None:
    """indicatorRef resolves to the SLI document; two objectives → two SLOs; the policy's
    referenced AlertCondition becomes a 14.4× / 1h rule with alertAfter 2m."""
    slos = read_slo_specs(DATA / "openslo-v1-ratio.yaml")
    assert [(s.name, s.target) for s in slos] == [
        ("checkout-availability:Internal", 0.999),
        ("checkout-availability:SLA", 0.99),
    ]
    s = slos[0]
    assert s.window.duration_s == 28 * 86400
    assert s.window.rolling
    assert s.budgeting == "Occurrences"
    assert s.sli.kind == "ratio"
    assert s.sli.bad.startswith('sum(rate(http_requests_total{endpoint="/checkout",code=~"5.."}')
    (c,) = s.alert_conditions
    assert (c.burn_rate, c.long_window_s, c.short_window_s, c.for_s, c.severity) == (
        14.4,
        3600,
        300,
        120,
        "page",
    )


def test_openslo_v1_threshold_timeslices_calendar() -> None:
    """Inline thresholdMetric with op/value; Timeslices with 1m slices; calendar month."""
    (s,) = read_slo_specs(DATA / "openslo-v1-latency.yaml")
    assert (s.sli.kind, s.sli.op, s.sli.threshold) == ("threshold", "lt", 0.3)
    assert s.budgeting == "Timeslices"
    assert (s.timeslice_target, s.timeslice_window_s) == (0.95, 60)
    assert not s.window.rolling
    assert s.window.calendar_unit == "month"
    assert isinstance(map_gauge(s.sli.query), QuantileQuery)


def test_openslo_v1alpha() -> None:
    """v1alpha: timeWindows unit/count and ratioMetrics on the objective; Service ignored."""
    (s,) = read_slo_specs(DATA / "openslo-v1alpha.yaml")
    assert s.name == "web-availability"
    assert s.window.duration_s == 4 * 7 * 86400
    assert s.target == 0.995
    assert s.sli.good == 'sum(rate(http_requests_total{code!~"5.."}[5m]))'


def test_sloth_spec_and_crd() -> None:
    """Sloth objectives are percentages (99.9 → 0.999 exactly); window 30 d; events and raw."""
    a, b = read_slo_specs(DATA / "sloth.yaml")
    assert (a.name, a.target, a.window.days, a.alerting) == (
        "myservice-requests-availability",
        0.999,
        30,
        "sloth",
    )
    assert isinstance(map_counter(a.sli.bad), CounterQuery)
    r = map_ratio(b.sli.bad)
    assert isinstance(r, RatioQuery)
    assert r.complement
    assert r.numerator.selector.matchers[0].value == "0.5"
    (c,) = read_slo_specs(DATA / "sloth-crd.yaml")
    assert c.spec_format == "sloth.slok.dev/v1"
    assert 'job="myservice"' in c.sli.total


def test_pyrra_ratio_and_latency() -> None:
    """Pyrra targets are percentage strings; windows are Prometheus durations."""
    e, lat = read_slo_specs(DATA / "pyrra.yaml")
    assert (e.target, e.window.duration_s, e.alerting) == (0.99, 14 * 86400, "pyrra")
    assert lat.target == 0.995
    assert lat.sli.good.endswith('le="0.1"}')
    assert map_counter(lat.sli.total).selector.metric == "http_request_duration_seconds_count"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing-target.yaml", "missing-target.yaml: field spec.objectives[0].target: missing"),
        (
            "target-1.5.yaml",
            "field spec.objectives[0].target: target 1.5 is not a fraction in (0, 1)",
        ),
        ("unknown-kind.yaml", "field kind: unknown kind 'ServiceLevelObjectve'"),
        ("window-30x.yaml", "field spec.window: '30x' is not a Prometheus duration"),
        (
            "openslo-window-30x.yaml",
            "field spec.timeWindow[0].duration: '30x' is not an OpenSLO duration",
        ),
    ],
)
def test_bad_specs_give_one_clear_line(
    name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The message names the file and the field; the CLI prints one line and exits 2."""
    with pytest.raises(InputError) as err:
        read_slo_specs(DATA / "bad" / name)
    assert message in str(err.value)
    assert main(["slo", "show", str(DATA / "bad" / name)]) == 2
    out = capsys.readouterr().err.strip().splitlines()
    assert len(out) == 1
    assert message in out[0]


def test_yaml_is_read_safely(tmp_path: Path) -> None:
    """A python/object tag is refused by safe_load, reported as invalid YAML, never run."""
    p = tmp_path / "evil.yaml"
    p.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_slo_specs(p)


def test_unmapped_queries_say_why() -> None:
    """Forms outside the common ones are reported, not guessed."""
    u = map_counter("avg_over_time(up[5m])")
    assert isinstance(u, Unmapped)
    assert "sum(rate(metric" in u.reason
    assert isinstance(map_ratio("sum(rate(a[5m]))"), Unmapped)


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`slo show --json`: name, target as a fraction, window in seconds, budgeting, SLI."""
    assert main(["slo", "show", str(DATA / "pyrra.yaml"), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [
        (g["name"], g["target"], g["window_s"], g["budgeting"], g["sli"]["kind"]) for g in got
    ] == [
        ("pyrra-api-errors", 0.99, 1209600.0, "Occurrences", "ratio"),
        ("pyrra-api-latency", 0.995, 2419200.0, "Occurrences", "ratio"),
    ]
    assert got[0]["sli"]["bad"] == 'http_requests_total{job="pyrra",code=~"5.."}'
