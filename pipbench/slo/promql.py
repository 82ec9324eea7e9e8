"""Map the common PromQL forms of SLO specs onto the dataset's series.

Understood (whitespace, ``by``/``without`` placement and Sloth's ``{{.window}}`` template
are tolerated):

- a counter selector: ``metric{…}`` (Pyrra), ``rate(metric{…}[w])``,
  ``increase(…)``, ``sum(rate(…))``, ``sum by (x) (rate(…))``, ``sum(rate(…)) by (x)``;
- a ratio of two of those: ``A / B`` (Sloth's ``error_ratio_query``), and ``1 - (A / B)``;
- ``histogram_quantile(q, sum(rate(x_bucket{…}[w])) by (le))``;
- a bare gauge selector (thresholds, Pyrra ``bool_gauge``).

Anything else gives an :class:`Unmapped` that says what was not understood.

Examples
--------
>>> m = map_counter('sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))')
>>> str(m.selector)
'http_requests_total{code=~"5.."}'
>>> map_counter("sum(rate(x[5m])) / sum(rate(y[5m]))").reason[:18]
'a ratio, not a cou'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipbench.errors import ConfigError
from pipbench.sli.selectors import Selector, parse_selector

__all__ = [
    "CounterQuery",
    "QuantileQuery",
    "RatioQuery",
    "Unmapped",
    "map_counter",
    "map_gauge",
    "map_quantile",
    "map_ratio",
]


@dataclass(frozen=True)
class CounterQuery:
    """A sum of counter series: ``sum(rate(selector[window]))``."""

    selector: Selector
    window: str | None = None


@dataclass(frozen=True)
class RatioQuery:
    """``numerator / denominator``, optionally ``1 - (…)``."""

    numerator: CounterQuery
    denominator: CounterQuery
    complement: bool = False


@dataclass(frozen=True)
class QuantileQuery:
    """``histogram_quantile(q, sum(rate(<metric>_bucket{…}[w])) by (le))``."""

    q: float
    selector: Selector
    window: str | None = None


@dataclass(frozen=True)
class Unmapped:
    """A query pipbench cannot evaluate on the dataset, with the reason."""

    query: str
    reason: str


_TEMPLATE = re.compile(r"\{\{\s*\.?[Ww]indow\s*\}\}|\$__rate_interval|\$__range|\$__interval")
_GROUP = r"(?:\s*(?:by|without)\s*\([^)]*\))?"
_SEL = r"[A-Za-z_:][A-Za-z0-9_:]*\s*(?:\{[^{}]*\})?"
_RANGE = r"\[\s*([0-9a-zA-Z_.]+)\s*\]"
_COUNTER_RES = [
    re.compile(
        rf"^(?:sum{_GROUP}\s*)?\(\s*(?:rate|increase|irate)\s*\(\s*({_SEL})\s*{_RANGE}\s*\)\s*\){_GROUP}$"
    ),
    re.compile(rf"^(?:rate|increase|irate)\s*\(\s*({_SEL})\s*{_RANGE}\s*\)$"),
]
_BARE = re.compile(rf"^({_SEL})$")
_QUANTILE = re.compile(
    rf"^histogram_quantile\s*\(\s*([0-9.eE+-]+)\s*,\s*(?:sum{_GROUP}\s*)?\(\s*(?:rate|increase)\s*\(\s*({_SEL})\s*{_RANGE}\s*\)\s*\){_GROUP}\s*\)$"
)


def _clean(query: str) -> str:
    q = _TEMPLATE.sub("5m", query.strip())
    q = " ".join(q.split())
    while q.startswith("(") and _balanced_outer(q):
        q = q[1:-1].strip()
    return q


def _balanced_outer(q: str) -> bool:
    depth = 0
    for i, ch in enumerate(q):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(q) - 1:
            return False
    return q.endswith(")")


def _split_top(q: str, sep: str) -> list[str]:
    parts, depth, brace, cur = [], 0, 0, []
    in_str: str | None = None
    for ch in q:
        if in_str:
            cur.append(ch)
            in_str = None if ch == in_str else in_str
            continue
        if ch in "\"'`":
            in_str = ch
        depth += ch in "(["
        depth -= ch in ")]"
        brace += ch == "{"
        brace -= ch == "}"
        if ch == sep and depth == 0 and brace == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def map_counter(query: str) -> CounterQuery | Unmapped:
    """A counter query (``sum(rate(x{…}[w]))`` or a bare selector) → :class:`CounterQuery`."""
    q = _clean(query)
    if len(_split_top(q, "/")) > 1:
        return Unmapped(query, "a ratio, not a counter query")
    for rx in _COUNTER_RES:
        m = rx.match(q)
        if m:
            return CounterQuery(_selector(m.group(1), query), m.group(2))
    m = _BARE.match(q)
    if m:
        return CounterQuery(_selector(m.group(1), query))
    return Unmapped(
        query, "only sum(rate(metric{…}[w])), rate(…), increase(…) or a bare selector are mapped"
    )


def map_ratio(query: str) -> RatioQuery | Unmapped:
    """``A / B`` or ``1 - (A / B)`` of counter queries → :class:`RatioQuery`."""
    q = _clean(query)
    complement = False
    m = re.match(r"^1\s*-\s*(.*)$", q)
    if m:
        complement = True
        q = _clean(m.group(1))
    parts = _split_top(q, "/")
    if len(parts) != 2:
        return Unmapped(query, "expected a ratio A / B of counter queries")
    num, den = map_counter(parts[0]), map_counter(parts[1])
    for side in (num, den):
        if isinstance(side, Unmapped):
            return Unmapped(query, f"ratio side {side.query!r}: {side.reason}")
    assert isinstance(num, CounterQuery)
    assert isinstance(den, CounterQuery)
    return RatioQuery(num, den, complement)


def map_quantile(query: str) -> QuantileQuery | Unmapped:
    """``histogram_quantile(q, sum(rate(x_bucket{…}[w])) by (le))`` → :class:`QuantileQuery`."""
    m = _QUANTILE.match(_clean(query))
    if not m:
        return Unmapped(query, "expected histogram_quantile(q, sum(rate(x_bucket{…}[w])) by (le))")
    return QuantileQuery(float(m.group(1)), _selector(m.group(2), query), m.group(3))


def map_gauge(query: str) -> CounterQuery | QuantileQuery | Unmapped:
    """A threshold metric: a latency quantile or a bare gauge selector."""
    q = _clean(query)
    if q.startswith("histogram_quantile"):
        return map_quantile(query)
    m = _BARE.match(q)
    if m:
        return CounterQuery(_selector(m.group(1), query))
    return Unmapped(query, "expected histogram_quantile(…) or a gauge selector")


def _selector(text: str, query: str) -> Selector:
    try:
        return parse_selector(text)
    except ConfigError as err:
        msg = f"in query {query!r}: {err}"
        raise ConfigError(msg) from None
