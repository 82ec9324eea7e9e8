"""Durations and PromQL series selectors, mapped onto the dataset's columns.

A series in the samples table is ``metric`` plus its label columns, so the selector
``http_requests_total{code=~"5..", job!=""}`` becomes a polars filter. Matching follows
Prometheus: regexes are fully anchored, and an absent label equals ``""``.

Examples
--------
>>> parse_duration("1h30m"), parse_duration("2w")
(5400.0, 1209600.0)
>>> s = parse_selector('http_requests_total{code=~"5..", job="api"}')
>>> s.metric, [m.op for m in s.matchers]
('http_requests_total', ['=~', '='])
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from pipbench.errors import ConfigError

__all__ = [
    "Matcher",
    "Selector",
    "as_matchers",
    "matchers_expr",
    "parse_duration",
    "parse_selector",
]

_UNITS = {
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "y": 31536000.0,
}
_DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")


def parse_duration(value: str | float | dt.timedelta, *, name: str = "duration") -> float:
    """A Prometheus duration (``"5m"``, ``"1h30m"``, ``"2w"``, ``"1y"``) or seconds → seconds.

    Examples
    --------
    >>> parse_duration("500ms"), parse_duration(60), parse_duration(dt.timedelta(hours=1))
    (0.5, 60.0, 3600.0)
    """
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value <= 0:
            msg = f"{name} must be positive, got {value!r}"
            raise ConfigError(msg)
        return float(value)
    text = str(value).strip()
    pos, total = 0, 0.0
    for m in _DUR_PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text or total <= 0:
        msg = f"{name} {value!r} is not a duration (expected e.g. '30s', '5m', '1h30m', '28d')"
        raise ConfigError(msg)
    return total


@dataclass(frozen=True)
class Matcher:
    """One label matcher: ``label op value`` with op ``=``, ``!=``, ``=~`` or ``!~``."""

    label: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'


@dataclass(frozen=True)
class Selector:
    """A metric name and its label matchers."""

    metric: str
    matchers: tuple[Matcher, ...] = ()

    def __str__(self) -> str:
        inner = ", ".join(str(m) for m in self.matchers)
        return f"{self.metric}{{{inner}}}" if inner else self.metric


_SEL = re.compile(r"^\s*([A-Za-z_:][A-Za-z0-9_:]*)?\s*(?:\{(.*)\})?\s*$", re.S)
_MATCH = re.compile(
    r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)\s*(,|$)'
)


def _unquote(text: str) -> str:
    if text[0] == "`":
        return text[1:-1]
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def parse_selector(text: str) -> Selector:
    """Parse ``metric{label="v", other=~"re"}`` (the metric may also be ``__name__="..."``).

    Examples
    --------
    >>> str(parse_selector('up{job="api"}'))
    'up{job="api"}'
    """
    m = _SEL.match(text)
    if not m:
        msg = f"not a series selector: {text!r}"
        raise ConfigError(msg)
    metric = m.group(1) or ""
    body = (m.group(2) or "").strip()
    matchers: list[Matcher] = []
    pos = 0
    while pos < len(body):
        mm = _MATCH.match(body, pos)
        if not mm:
            msg = f"cannot read label matchers in {text!r} near {body[pos:]!r}"
            raise ConfigError(msg)
        label, op, val = mm.group(1), mm.group(2), _unquote(mm.group(3))
        if label == "__name__" and op == "=":
            metric = val
        else:
            matchers.append(Matcher(label, op, val))  # type: ignore[arg-type]
        pos = mm.end()
    if not metric:
        msg = f"selector {text!r} names no metric"
        raise ConfigError(msg)
    return Selector(metric, tuple(matchers))


def as_matchers(
    where: str | Mapping[str, str] | Sequence[Matcher] | None,
) -> tuple[Matcher, ...]:
    """Matchers from a ``'{code=~"5.."}'`` string, a ``{label: value}`` dict (equality) or a list."""
    if where is None:
        return ()
    if isinstance(where, str):
        text = where.strip()
        if not text.startswith("{"):
            text = "{" + text + "}"
        return parse_selector("x" + text).matchers
    if isinstance(where, Mapping):
        return tuple(Matcher(k, "=", str(v)) for k, v in where.items())
    return tuple(where)


def matchers_expr(matchers: Sequence[Matcher], columns: Sequence[str]) -> pl.Expr:
    """A polars predicate for ``matchers``; a label missing from ``columns`` is ``""``."""
    expr = pl.lit(True)
    for m in matchers:
        col = pl.col(m.label).fill_null("") if m.label in columns else pl.lit("")
        if m.op == "=":
            e = col == m.value
        elif m.op == "!=":
            e = col != m.value
        else:
            try:
                re.compile(m.value)
            except re.error as err:
                msg = f"matcher {m}: invalid regular expression ({err})"
                raise ConfigError(msg) from None
            e = col.str.contains(f"^(?:{m.value})$")
            if m.op == "!~":
                e = ~e
        expr = expr & e
    return expr
