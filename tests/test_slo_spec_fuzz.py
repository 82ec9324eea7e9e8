"""Parsers never crash: selectors and durations round-trip, and any YAML shaped like a
spec gives SLOs or one InputError, never another exception (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipbench.errors import ConfigError, InputError
from pipbench.sli import Matcher, Selector, parse_duration, parse_selector
from pipbench.slo import read_slo_specs

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
VALUES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8
)


@settings(max_examples=200, deadline=None)
@given(
    metric=NAMES,
    matchers=st.lists(
        st.tuples(NAMES, st.sampled_from(["=", "!=", "=~", "!~"]), VALUES), max_size=4
    ),
)
def test_selector_round_trip(metric: str, matchers: list[tuple[str, str, str]]) -> None:
    """str(Selector) parses back to the same selector (quotes and backslashes escaped)."""
    sel = Selector(
        metric,
        tuple(
            Matcher(lbl, op, v.replace("\\", "\\\\").replace('"', '\\"')) for lbl, op, v in matchers
        ),
    )
    back = parse_selector(str(sel))
    assert back.metric == metric
    assert [(m.label, m.op) for m in back.matchers] == [(lbl, op) for lbl, op, _ in matchers]
    assert [m.value for m in back.matchers] == [v for _, _, v in matchers]


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.integers(1, 999), st.sampled_from(["ms", "s", "m", "h", "d", "w", "y"])),
        min_size=1,
        max_size=3,
        unique_by=lambda p: p[1],
    )
)
def test_duration_sums_its_parts(parts: list[tuple[int, str]]) -> None:
    """Prometheus durations: the value is the sum of number × unit."""
    unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    text = "".join(f"{n}{u}" for n, u in parts)
    assert parse_duration(text) == pytest.approx(sum(n * unit[u] for n, u in parts))


@given(text=st.text(max_size=12))
def test_duration_garbage_is_a_config_error(text: str) -> None:
    """Anything else is a ConfigError naming the value, never another exception."""
    message = "ok"
    try:
        parse_duration(text)
    except ConfigError as err:
        message = str(err)
    assert message == "ok" or "duration" in message


DATA = Path(__file__).parent / "data" / "slo"
FIXTURES = [list(yaml.safe_load_all(p.read_text())) for p in sorted(DATA.glob("*.yaml"))]
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.just("30x"),
    st.just([1, "a"]),
    st.just({"x": 1}),
    st.just(""),
    st.just(1.5),
    st.just([]),
    st.just({}),
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for j, v in enumerate(node):
            out += _paths(v, (*prefix, j))
    return out


def _replace(node: object, path: tuple, value: object) -> object:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {k: (_replace(v, rest, value) if k == head else v) for k, v in node.items()}
    assert isinstance(node, list)
    return [(_replace(v, rest, value) if j == head else v) for j, v in enumerate(node)]


def _outcome(p: Path) -> str:
    """'ok' or the InputError message; any other exception propagates and fails the test."""
    try:
        read_slo_specs(p)
    except InputError as err:
        return str(err)
    return "ok"


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_real_specs_fail_cleanly(tmp_path: Path, data: st.DataObject) -> None:
    """Robustness: take a real spec, replace one field anywhere with a value of the wrong
    type; the reader gives SLOs or one InputError line naming the file, nothing else."""
    docs = data.draw(st.sampled_from(FIXTURES))
    d = data.draw(st.integers(0, len(docs) - 1))
    paths = _paths(docs[d])
    path = data.draw(st.sampled_from(paths))
    mutated = [
        (_replace(doc, path, data.draw(JUNK)) if j == d else doc) for j, doc in enumerate(docs)
    ]
    p = tmp_path / "mutated.yaml"
    p.write_text(yaml.safe_dump_all(mutated))
    outcome = _outcome(p)
    assert outcome == "ok" or (outcome.startswith(str(p)) and "\n" not in outcome)


KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "spec",
    "service",
    "slos",
    "objective",
    "sli",
    "events",
    "error_query",
    "total_query",
    "target",
    "window",
    "indicator",
    "ratio",
    "errors",
    "total",
    "metric",
    "objectives",
    "timeWindow",
    "duration",
    "isRolling",
    "budgetingMethod",
    "ratioMetric",
    "good",
    "bad",
    "metricSource",
    "query",
    "thresholdMetric",
    "op",
    "value",
    "indicatorRef",
    "alertPolicies",
    "conditions",
    "timeWindows",
    "unit",
    "count",
    "version",
]
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.floats(allow_nan=False),
    st.sampled_from(
        [
            "openslo/v1",
            "openslo/v1alpha",
            "prometheus/v1",
            "pyrra.dev/v1alpha1",
            "sloth.slok.dev/v1",
            "SLO",
            "SLI",
            "ServiceLevelObjective",
            "PrometheusServiceLevel",
            "28d",
            "30x",
            "99.9",
            "sum(rate(x[5m]))",
        ]
    ),
)
TREES = st.recursive(
    LEAVES,
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.sampled_from(KEYS), c, max_size=5)
    ),
    max_leaves=25,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=st.dictionaries(st.sampled_from(KEYS), TREES, min_size=1, max_size=6),
    api=st.sampled_from(
        ["openslo/v1", "openslo/v1alpha", "pyrra.dev/v1alpha1", "sloth.slok.dev/v1", None]
    ),
)
def test_any_spec_shape_gives_slos_or_one_input_error(
    tmp_path: Path, doc: dict, api: str | None
) -> None:
    """Robustness: the readers never raise anything but InputError on malformed specs."""
    if api:
        doc["apiVersion"] = api
    p = tmp_path / "fuzz.yaml"
    p.write_text(yaml.safe_dump(doc))
    outcome = _outcome(p)
    assert outcome == "ok" or (outcome.startswith(str(p)) and "\n" not in outcome)
