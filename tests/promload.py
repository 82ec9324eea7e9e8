"""A tiny reader of Prometheus ``promqltest`` ``load`` blocks, so tests can quote the
reference test data (``promql/promqltest/testdata/*.test``) as written.

``load 5m`` followed by lines like ``http_requests_total{path="/foo"} 0+10x10`` becomes a
samples frame. Supported value syntax: ``a+bxn`` (n+1 points), ``a-bxn``, plain numbers,
``_`` (missing), ``NaN``, ``Inf``.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from pipbench.sli.selectors import parse_duration, parse_selector

T0 = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _expand(tokens: list[str]) -> list[float | None]:
    out: list[float | None] = []
    for tok in tokens:
        m = re.fullmatch(r"([-+]?[0-9.eE]+|NaN|[-+]?Inf)([+-])([0-9.eE]+)x(\d+)", tok)
        if m:
            a, sign, b, n = float(m.group(1)), m.group(2), float(m.group(3)), int(m.group(4))
            step = b if sign == "+" else -b
            out.extend(a + step * i for i in range(n + 1))
        elif re.fullmatch(r"_x(\d+)", tok):
            out.extend([None] * int(tok[2:]))
        elif tok == "_":
            out.append(None)
        else:
            out.append(float(tok.replace("Inf", "inf")))
    return out


def load(text: str) -> pl.DataFrame:
    """Parse ``load <interval>`` blocks into a samples frame (times from the epoch)."""
    rows: list[dict[str, object]] = []
    interval = 60.0
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("load"):
            interval = parse_duration(line.split()[1])
            continue
        sel_text, _, values = line.partition("} ") if "}" in line else line.partition(" ")
        if "}" in line:
            sel_text += "}"
        sel = parse_selector(sel_text)
        for i, v in enumerate(_expand(values.split())):
            if v is None:
                continue
            row: dict[str, object] = {
                "timestamp": T0 + dt.timedelta(seconds=interval * i),
                "metric": sel.metric,
                "value": v,
                "source": "promqltest",
            }
            row.update({m.label: m.value for m in sel.matchers})
            rows.append(row)
    return pl.DataFrame(rows)


def at(minutes: float) -> dt.datetime:
    """An evaluation time ``minutes`` after the epoch (``eval instant at 50m``)."""
    return T0 + dt.timedelta(minutes=minutes)
