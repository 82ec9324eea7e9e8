"""Readers for the SLO specs people already have: OpenSLO, Sloth, Pyrra.

- **OpenSLO** ``openslo/v1`` and ``openslo/v1alpha``: ``SLO``, ``SLI`` (referenced by
  ``indicatorRef``), ``AlertPolicy`` and ``AlertCondition`` kinds, inline or referenced,
  in multi-document YAML. One :class:`~pipbench.slo.model.SLO` per objective.
- **Sloth** ``version: prometheus/v1`` files and its Kubernetes CRD
  (``sloth.slok.dev/v1`` ``PrometheusServiceLevel``). Sloth's window is 30 days.
- **Pyrra** ``pyrra.dev/v1alpha1`` ``ServiceLevelObjective`` CRDs (ratio, latency,
  latencyNative, bool_gauge indicators).

YAML is read with ``yaml.safe_load_all``. A bad spec raises :class:`InputError` naming the
file and the field, in one line.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "slo.yaml"
>>> _ = p.write_text('''version: "prometheus/v1"
... service: "api"
... slos:
...   - name: "availability"
...     objective: 99.9
...     sli:
...       events:
...         error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
...         total_query: sum(rate(http_requests_total[{{.window}}]))
... ''')
>>> [(s.name, s.target, s.window.days) for s in read_slo_specs(p)]
[('api-availability', 0.999, 30.0)]
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import yaml

from pipbench.errors import ConfigError, InputError
from pipbench.slo.model import BUDGETING_METHODS, SLI, SLO, AlertCondition, Window

__all__ = ["parse_openslo_duration", "read_slo_specs"]

_DAY = 86400.0
# OpenSLO duration-shorthand; M/Q/Y nominal lengths for rolling windows.
_OPENSLO_UNITS = {
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": _DAY,
    "w": 7 * _DAY,
    "M": 30 * _DAY,
    "Q": 90 * _DAY,
    "Y": 365 * _DAY,
}
_CALENDAR = {"d": "day", "w": "week", "M": "month", "Q": "quarter", "Y": "year"}
_V1ALPHA_UNITS = {
    "second": "s",
    "minute": "m",
    "hour": "h",
    "day": "d",
    "week": "w",
    "month": "M",
    "quarter": "Q",
    "year": "Y",
}
_PROM_UNITS = {
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": _DAY,
    "w": 7 * _DAY,
    "y": 365 * _DAY,
}
_OPENSLO_KINDS = (
    "SLO",
    "SLI",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
    "Service",
    "DataSource",
)


class _Ctx:
    """Where we are in a file, for error messages."""

    def __init__(self, file: Path, doc: int, ndocs: int) -> None:
        self.file, self.doc, self.ndocs = file, doc, ndocs

    def fail(self, field: str, message: str, expected: str | None = None) -> NoReturn:
        """Raise an :class:`InputError` naming the file and ``field``."""
        where = f"document {self.doc + 1}: {field}" if self.ndocs > 1 else field
        raise InputError(message, file=self.file, field=where, expected=expected) from None


@contextlib.contextmanager
def _guard(ctx: _Ctx) -> Iterator[None]:
    """Turn a wrong-typed field met deep in a reader into one InputError for the document."""
    try:
        yield
    except InputError:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as err:
        ctx.fail(
            "(structure)",
            f"a field has the wrong type or shape ({err})",
            "the structure the spec's project documents",
        )


def _map(value: Any, field: str, ctx: _Ctx) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        ctx.fail(field, f"is {type(value).__name__} {value!r}, not a mapping")
    return value


def _list(value: Any, field: str, ctx: _Ctx) -> list[Any]:
    if not isinstance(value, list):
        ctx.fail(field, f"is {type(value).__name__} {value!r}, not a list")
    return value


def parse_openslo_duration(text: object) -> tuple[float, str]:
    """OpenSLO duration-shorthand (``28d``, ``1w``, ``1M``, ``1Q``) → (seconds, unit).

    Examples
    --------
    >>> parse_openslo_duration("28d"), parse_openslo_duration("1M")
    ((2419200.0, 'd'), (2592000.0, 'M'))
    """
    m = re.fullmatch(r"\s*(\d+)\s*([smhdwMQY])\s*", str(text))
    if not m or int(m.group(1)) <= 0:
        msg = f"{text!r} is not an OpenSLO duration"
        raise ValueError(msg)
    return int(m.group(1)) * _OPENSLO_UNITS[m.group(2)], m.group(2)


def _prom_duration(text: object) -> float:
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(text))
    if not parts or "".join(a + b for a, b in parts) != str(text).strip() or str(text)[0] == "0":
        msg = f"{text!r} is not a Prometheus duration"
        raise ValueError(msg)
    return sum(int(a) * _PROM_UNITS[b] for a, b in parts)


def _get(d: Any, path: str, ctx: _Ctx, *, required: bool = True, expected: str = "") -> Any:
    cur = d
    for key in path.split("."):
        if not isinstance(cur, Mapping) or key not in cur or cur[key] is None:
            if required:
                ctx.fail(path, "missing", expected or None)
            return None
        cur = cur[key]
    return cur


def _fraction(value: Any, field: str, ctx: _Ctx, *, percent: bool) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        x = float(value)
    except (TypeError, ValueError):
        ctx.fail(field, f"{value!r} is not a number")
    if x != x:  # NaN
        ctx.fail(field, f"{value!r} is not a number")
    if percent:
        if not 0 < x < 100:
            ctx.fail(field, f"objective {x} is not a percentage in (0, 100)")
        return float(Decimal(repr(x)) / 100)  # 99.9 → 0.999 exactly as written
    if not 0 < x < 1:
        ctx.fail(field, f"target {x} is not a fraction in (0, 1)", "e.g. 0.999")
    return x


def _make_slo(ctx: _Ctx, field: str, **kw: Any) -> SLO:
    try:
        return SLO(file=str(ctx.file), **kw)
    except ConfigError as err:
        ctx.fail(field, str(err))


# ------------------------------------------------------------------------------ OpenSLO
def _metric_query(ms: Any) -> str | None:
    """The query string of an OpenSLO ``metricSource`` (v1) or v1alpha metric."""
    if not isinstance(ms, Mapping):
        return None
    if "metricSource" in ms:
        ms = ms["metricSource"]
    spec = ms.get("spec", ms)
    if isinstance(spec, Mapping):
        for key in ("query", "promql", "expr"):
            if isinstance(spec.get(key), str):
                return spec[key]
    return None


def _openslo_sli(spec: Any, ctx: _Ctx, field: str) -> SLI:
    if not isinstance(spec, Mapping):
        ctx.fail(field, "missing", "an SLI spec with ratioMetric or thresholdMetric")
    if "ratioMetric" in spec:
        r = spec["ratioMetric"] or {}
        if "rawType" in r or "raw" in r:
            raw = _metric_query(r.get("raw"))
            kind = r.get("rawType", "failure")
            return SLI("ratio", bad=raw) if kind == "failure" else SLI("ratio", good=raw)
        good, bad, total = (_metric_query(r.get(k)) for k in ("good", "bad", "total"))
        if total is None or (good is None and bad is None):
            ctx.fail(f"{field}.ratioMetric", "needs total and good or bad")
        return SLI("ratio", good=good, bad=bad, total=total)
    if "thresholdMetric" in spec:
        return SLI("threshold", query=_metric_query(spec["thresholdMetric"]))
    ctx.fail(field, "has neither ratioMetric nor thresholdMetric")


def _openslo_window(spec: Mapping[str, Any], ctx: _Ctx, v1alpha: bool) -> Window:
    key = "timeWindows" if v1alpha else "timeWindow"
    tws = spec.get(key) or spec.get("timeWindows") or spec.get("timeWindow")
    if not tws:
        ctx.fail(f"spec.{key}", "missing", "e.g. [{duration: 28d, isRolling: true}]")
    tw = _map(tws[0] if isinstance(tws, list) else tws, f"spec.{key}[0]", ctx)
    field = f"spec.{key}[0]"
    try:
        if "duration" in tw:
            field += ".duration"
            seconds, unit = parse_openslo_duration(tw["duration"])
        else:
            field += ".unit"
            u = _V1ALPHA_UNITS.get(str(tw.get("unit", "")).lower())
            if u is None:
                msg = f"unit {tw.get('unit')!r} is not one of {sorted(_V1ALPHA_UNITS)}"
                raise ValueError(msg)
            unit = u
            seconds = int(tw.get("count", 1)) * _OPENSLO_UNITS[u]
    except (ValueError, TypeError) as err:
        ctx.fail(field, str(err), "e.g. 28d, 1w, 1M")
    rolling = bool(tw.get("isRolling", True))
    cal = tw.get("calendar") or {}
    calendar_unit = None if rolling else _CALENDAR.get(unit)
    return Window(seconds, rolling, calendar_unit, str(cal.get("timeZone", "UTC")))  # type: ignore[arg-type]


def _openslo_conditions(policies: list[Any], docs: _Index, ctx: _Ctx) -> tuple[AlertCondition, ...]:
    out: list[AlertCondition] = []
    for p in policies or []:
        policy = docs.policies.get(str(p.get("alertPolicyRef"))) if "alertPolicyRef" in p else p
        if not isinstance(policy, Mapping):
            continue
        for c in (policy.get("spec") or {}).get("conditions") or []:
            cond = docs.conditions.get(str(c.get("conditionRef"))) if "conditionRef" in c else c
            if not isinstance(cond, Mapping):
                continue
            cs = cond.get("spec") or {}
            body = cs.get("condition") or {}
            if str(body.get("kind", "")).replace("-", "") != "burnrate":
                continue
            try:
                long_s = _prom_duration(body.get("lookbackWindow", "1h"))
                for_s = _prom_duration(body["alertAfter"]) if body.get("alertAfter") else 0.0
            except ValueError as err:
                ctx.fail("AlertCondition.spec.condition", str(err))
            name = (cond.get("metadata") or {}).get("name", "burnrate")
            out.append(
                AlertCondition(
                    name,
                    float(body.get("threshold", 1)),
                    long_s,
                    long_s / 12,
                    for_s,
                    str(cs.get("severity", "")),
                )
            )
    return tuple(out)


class _Index:
    def __init__(self) -> None:
        self.slis: dict[str, Any] = {}
        self.policies: dict[str, Any] = {}
        self.conditions: dict[str, Any] = {}


def _read_openslo(docs: list[tuple[int, Mapping[str, Any]]], file: Path, ndocs: int) -> list[SLO]:
    index = _Index()
    slo_docs = []
    for i, d in docs:
        ctx = _Ctx(file, i, ndocs)
        with _guard(ctx):
            kind = d.get("kind")
            if kind not in _OPENSLO_KINDS:
                ctx.fail("kind", f"unknown kind {kind!r}", " or ".join(_OPENSLO_KINDS))
            name = str(_map(d.get("metadata") or {}, "metadata", ctx).get("name"))
            if kind == "SLI":
                index.slis[name] = d
            elif kind == "AlertPolicy":
                index.policies[name] = d
            elif kind == "AlertCondition":
                index.conditions[name] = d
            elif kind == "SLO":
                slo_docs.append((i, d))
    out: list[SLO] = []
    for i, d in slo_docs:
        ctx = _Ctx(file, i, ndocs)
        with _guard(ctx):
            v1alpha = str(d.get("apiVersion")) == "openslo/v1alpha"
            name = _get(d, "metadata.name", ctx)
            spec = _map(_get(d, "spec", ctx), "spec", ctx)
            window = _openslo_window(spec, ctx, v1alpha)
            budgeting = spec.get("budgetingMethod", "Occurrences")
            if budgeting not in BUDGETING_METHODS:
                ctx.fail(
                    "spec.budgetingMethod",
                    f"unknown method {budgeting!r}",
                    " or ".join(BUDGETING_METHODS),
                )
            base_sli: SLI | None = None
            if "indicator" in spec:
                ind = spec["indicator"]
                if v1alpha:
                    base_sli = SLI(
                        "threshold", query=_metric_query((ind or {}).get("thresholdMetric"))
                    )
                else:
                    base_sli = _openslo_sli((ind or {}).get("spec"), ctx, "spec.indicator.spec")
            elif "indicatorRef" in spec:
                ref = index.slis.get(str(spec["indicatorRef"]))
                if ref is None:
                    ctx.fail(
                        "spec.indicatorRef", f"no SLI named {spec['indicatorRef']!r} in this file"
                    )
                base_sli = _openslo_sli(ref.get("spec"), ctx, "SLI.spec")
            objectives = _list(spec.get("objectives") or [], "spec.objectives", ctx)
            if not objectives:
                ctx.fail("spec.objectives", "missing", "a list with at least one target")
            conditions = _openslo_conditions(spec.get("alertPolicies") or [], index, ctx)
            for j, obj in enumerate(objectives):
                f = f"spec.objectives[{j}]"
                obj = _map(obj, f, ctx)
                if "target" in obj:
                    target = _fraction(obj["target"], f + ".target", ctx, percent=False)
                elif "targetPercent" in obj:
                    target = _fraction(
                        obj["targetPercent"], f + ".targetPercent", ctx, percent=True
                    )
                else:
                    ctx.fail(f + ".target", "missing", "a fraction in (0, 1), e.g. 0.999")
                sli = base_sli
                if v1alpha and "ratioMetrics" in obj:
                    rm = obj["ratioMetrics"]
                    sli = SLI(
                        "ratio",
                        good=_metric_query(rm.get("good")),
                        bad=_metric_query(rm.get("bad")),
                        total=_metric_query(rm.get("total")),
                    )
                if isinstance(obj.get("indicator"), Mapping):
                    sli = _openslo_sli(obj["indicator"].get("spec"), ctx, f + ".indicator.spec")
                if sli is None:
                    ctx.fail(
                        "spec.indicator",
                        "missing",
                        "indicator, indicatorRef or objective ratioMetrics",
                    )
                if sli.kind == "threshold" and "value" in obj:
                    sli = SLI(
                        "threshold",
                        query=sli.query,
                        op=obj.get("op", "lte"),
                        threshold=float(obj["value"]),
                        source=sli.source,
                    )
                ts_window = obj.get("timeSliceWindow")
                try:
                    ts_s = parse_openslo_duration(ts_window)[0] if ts_window else None
                except ValueError as err:
                    ctx.fail(f + ".timeSliceWindow", str(err))
                suffix = obj.get("name") or (
                    obj.get("displayName") if len(objectives) > 1 else None
                )
                out.append(
                    _make_slo(
                        ctx,
                        f,
                        name=f"{name}:{suffix}" if suffix else name,
                        target=target,
                        window=window,
                        sli=sli,
                        budgeting=budgeting,
                        service=str(spec.get("service", "")),
                        description=str(spec.get("description", "")),
                        timeslice_target=float(obj["timeSliceTarget"])
                        if "timeSliceTarget" in obj
                        else None,
                        timeslice_window_s=ts_s,
                        alert_conditions=conditions,
                        spec_format=str(d.get("apiVersion")),
                    )
                )
    return out


# -------------------------------------------------------------------------------- Sloth
def _read_sloth(d: Mapping[str, Any], ctx: _Ctx, crd: bool) -> list[SLO]:
    spec = _map(_get(d, "spec", ctx), "spec", ctx) if crd else d
    pre = "spec." if crd else ""
    service = _get(spec, "service", ctx) if not crd else spec.get("service")
    if service is None:
        ctx.fail(pre + "service", "missing")
    slos = spec.get("slos")
    if not slos:
        ctx.fail(pre + "slos", "missing", "a list of SLOs")
    out: list[SLO] = []
    for j, s in enumerate(_list(slos, pre + "slos", ctx)):
        f = f"{pre}slos[{j}]"
        s = _map(s, f, ctx)
        if "objective" not in s:
            ctx.fail(f + ".objective", "missing", "a percentage, e.g. 99.9")
        target = _fraction(s["objective"], f + ".objective", ctx, percent=True)
        sli_spec = _map(
            _map(s, f"{pre}slos[{j}]", ctx).get("sli") or {}, f"{pre}slos[{j}].sli", ctx
        )
        ev = sli_spec.get("events") and _map(sli_spec["events"], f"{pre}slos[{j}].sli.events", ctx)
        raw = sli_spec.get("raw") and _map(sli_spec["raw"], f"{pre}slos[{j}].sli.raw", ctx)
        if ev:
            bad = ev.get("errorQuery") if crd else ev.get("error_query")
            total = ev.get("totalQuery") if crd else ev.get("total_query")
            if not bad or not total:
                key = "errorQuery/totalQuery" if crd else "error_query/total_query"
                ctx.fail(f + ".sli.events", f"needs {key}")
            sli = SLI("ratio", bad=bad, total=total)
        elif raw:
            q = raw.get("errorRatioQuery") if crd else raw.get("error_ratio_query")
            if not q:
                ctx.fail(f + ".sli.raw", "needs error_ratio_query")
            sli = SLI("ratio", bad=q)
        elif "plugin" in sli_spec:
            sli = SLI("ratio", bad=f"<sloth plugin {sli_spec['plugin'].get('id', '?')}>")
        else:
            ctx.fail(f + ".sli", "missing", "events, raw or plugin")
        name = s.get("name")
        if not name:
            ctx.fail(f + ".name", "missing")
        out.append(
            _make_slo(
                ctx,
                f,
                name=f"{service}-{name}",
                target=target,
                window=Window(30 * _DAY),
                sli=sli,
                service=str(service),
                description=str(s.get("description", "")),
                alerting="sloth",
                spec_format="sloth.slok.dev/v1" if crd else "prometheus/v1",
                labels={str(k): str(v) for k, v in (spec.get("labels") or {}).items()},
            )
        )
    return out


# -------------------------------------------------------------------------------- Pyrra
def _read_pyrra(d: Mapping[str, Any], ctx: _Ctx) -> list[SLO]:
    name = _get(d, "metadata.name", ctx)
    spec = _map(_get(d, "spec", ctx), "spec", ctx)
    target = _fraction(_req(spec, "target", "spec.target", ctx), "spec.target", ctx, percent=True)
    window_text = _req(spec, "window", "spec.window", ctx)
    try:
        window_s = _prom_duration(window_text)
    except ValueError as err:
        ctx.fail("spec.window", str(err), "a Prometheus duration, e.g. 28d or 2w")
    ind = _map(_req(spec, "indicator", "spec.indicator", ctx), "spec.indicator", ctx)
    if "ratio" in ind:
        r = _map(ind["ratio"], "spec.indicator.ratio", ctx)
        sli = SLI(
            "ratio",
            bad=_req(r, "errors", "spec.indicator.ratio.errors", ctx).get("metric"),
            total=_req(r, "total", "spec.indicator.ratio.total", ctx).get("metric"),
        )
    elif "latency" in ind:
        r = _map(ind["latency"], "spec.indicator.latency", ctx)
        sli = SLI(
            "ratio",
            good=_req(r, "success", "spec.indicator.latency.success", ctx).get("metric"),
            total=_req(r, "total", "spec.indicator.latency.total", ctx).get("metric"),
        )
    elif "latencyNative" in ind:
        r = ind["latencyNative"]
        sli = SLI(
            "threshold",
            query=(r.get("total") or {}).get("metric"),
            op="lte",
            threshold=_prom_duration(r.get("latency", "1s")),
        )
    elif "bool_gauge" in ind or "boolGauge" in ind:
        bg = _map(ind.get("bool_gauge") or ind.get("boolGauge"), "spec.indicator.bool_gauge", ctx)
        sli = SLI("threshold", query=bg.get("metric"), op="gte", threshold=1.0)
    else:
        ctx.fail(
            "spec.indicator", "unknown indicator", "ratio, latency, latencyNative or bool_gauge"
        )
    return [
        _make_slo(
            ctx,
            "spec",
            name=name,
            target=target,
            window=Window(window_s),
            sli=sli,
            service=str((d.get("metadata") or {}).get("namespace", "")),
            description=str(spec.get("description", "")),
            alerting="pyrra",
            spec_format="pyrra.dev/v1alpha1",
        )
    ]


def _req(d: Any, key: str, field: str, ctx: _Ctx) -> Any:
    if not isinstance(d, Mapping) or d.get(key) is None:
        ctx.fail(field, "missing")
    return d[key]


# ---------------------------------------------------------------------------- dispatch
def read_slo_specs(path: str | Path) -> list[SLO]:
    """Read every SLO in an OpenSLO, Sloth or Pyrra YAML file (multi-document allowed).

    Parameters
    ----------
    path
        The spec file.

    Returns
    -------
    list of SLO
        One per objective, in file order.

    Raises
    ------
    InputError
        The file is not valid YAML, or a field is missing or wrong; the message names
        the file and the field.
    """
    file = Path(path)
    try:
        text = file.read_text()
    except OSError as err:
        msg = f"cannot read: {err.strerror}"
        raise InputError(msg, file=file) from None
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        msg = f"not valid YAML ({getattr(err, 'problem', err)})"
        raise InputError(msg, file=file, line=mark.line + 1 if mark else None) from None
    flat: list[tuple[int, Any]] = []
    for i, d in enumerate(docs):  # a top-level list of objects (OpenSLO allows it)
        flat.extend((i, x) for x in d) if isinstance(d, list) else flat.append((i, d))
    if not flat:
        msg = "no YAML documents"
        raise InputError(msg, file=file, expected="an OpenSLO, Sloth or Pyrra spec")
    ndocs = len(flat)
    out: list[SLO] = []
    openslo: list[tuple[int, Mapping[str, Any]]] = []
    for n, (_, d) in enumerate(flat):
        ctx = _Ctx(file, n, ndocs)
        if not isinstance(d, Mapping):
            ctx.fail("(document)", "not a mapping")
        api = str(d.get("apiVersion", ""))
        if api.startswith("openslo/"):
            if api not in ("openslo/v1", "openslo/v1alpha"):
                ctx.fail("apiVersion", f"unsupported {api!r}", "openslo/v1 or openslo/v1alpha")
            openslo.append((n, d))
        elif str(d.get("version", "")) == "prometheus/v1":
            with _guard(ctx):
                out.extend(_read_sloth(d, ctx, crd=False))
        elif api.startswith("sloth.slok.dev/"):
            if d.get("kind") != "PrometheusServiceLevel":
                ctx.fail("kind", f"unknown kind {d.get('kind')!r}", "PrometheusServiceLevel")
            with _guard(ctx):
                out.extend(_read_sloth(d, ctx, crd=True))
        elif api.startswith("pyrra.dev/"):
            if d.get("kind") != "ServiceLevelObjective":
                ctx.fail("kind", f"unknown kind {d.get('kind')!r}", "ServiceLevelObjective")
            with _guard(ctx):
                out.extend(_read_pyrra(d, ctx))
        else:
            ctx.fail(
                "apiVersion",
                f"unknown spec {api or d.get('version')!r}",
                "openslo/v1, openslo/v1alpha, sloth prometheus/v1 or pyrra.dev/v1alpha1",
            )
    if openslo:
        out.extend(_read_openslo(openslo, file, ndocs))
    if not out:
        msg = "no SLO in this file"
        raise InputError(msg, file=file, expected="at least one SLO")
    return out
