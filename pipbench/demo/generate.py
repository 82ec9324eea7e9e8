"""The seeded generator of the shipped demo data (``datasets/demo/``).

A week (2026-03-02 → 2026-03-09, UTC) of a ``checkout`` service with three endpoints on
three instances, exported the way an engineer would export it during an incident:

- ``prometheus_http_requests.json`` — ``http_requests_total`` counters (``query_range``,
  5-minute step) by endpoint, instance, status code and version; ``checkout-1`` restarts
  on Tuesday at 03:00 (a counter reset inside a series);
- ``prometheus_latency.json`` — the classic histogram ``http_request_duration_seconds``
  (``_bucket`` by ``le``, ``_sum``, ``_count``) by endpoint, instance and version;
- ``prometheus_cpu.json`` — ``process_cpu_usage_ratio`` gauges by instance;
- ``otlp_traces.json`` — a sample of server spans (OTLP/JSON) for exact percentiles;
- ``deploys.csv`` — canary and rollout annotations, a flag flip and the incident.

The story (the ground truth the demo and the tests rely on, :data:`STORY`):
release 2.4.0 goes to a canary on ``checkout-2`` on Wednesday 10:00 and to every instance
at 12:00. It adds an N+1 query on ``/api/checkout`` only: 8 % of its requests take about
5× longer, so p99 rises several-fold while the median barely moves, and timeouts raise
its error ratio from 0.2 % to 1.2 %. The fix 2.4.1 goes to the canary on Friday 14:00 and
everywhere at 16:00. An unrelated flag flip on Wednesday 11:10 is a red herring.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> files = generate_demo(out, days=1)
>>> sorted(p.name for p in files)[:2]
['deploys.csv', 'otlp_traces.json']
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["BUCKETS", "ENDPOINTS", "INSTANCES", "STORY", "Story", "generate_demo"]

ENDPOINTS: dict[str, dict[str, float]] = {
    # median latency (s), lognormal sigma, share of traffic, base error ratio
    "/api/checkout": {"median": 0.045, "sigma": 0.45, "share": 0.25, "errors": 0.002},
    "/api/cart": {"median": 0.018, "sigma": 0.40, "share": 0.40, "errors": 0.001},
    "/api/products": {"median": 0.030, "sigma": 0.50, "share": 0.35, "errors": 0.001},
}
INSTANCES = ("checkout-0", "checkout-1", "checkout-2")
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
STEP_S = 300
START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Story:
    """When things happen in the demo week (all UTC)."""

    bad_canary: dt.datetime = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
    bad_rollout: dt.datetime = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)
    flag_flip: dt.datetime = dt.datetime(2026, 3, 4, 11, 10, tzinfo=dt.UTC)
    incident_start: dt.datetime = dt.datetime(2026, 3, 4, 12, 40, tzinfo=dt.UTC)
    fix_canary: dt.datetime = dt.datetime(2026, 3, 6, 14, 0, tzinfo=dt.UTC)
    fix_rollout: dt.datetime = dt.datetime(2026, 3, 6, 16, 0, tzinfo=dt.UTC)
    restart: dt.datetime = dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)
    canary_instance: str = "checkout-2"
    regressed_endpoint: str = "/api/checkout"
    bad_version: str = "2.4.0"
    slow_share: float = 0.08
    slow_factor: float = 5.0
    bad_error_ratio: float = 0.012


STORY = Story()


def _version(t: np.ndarray, instance: str, story: Story) -> np.ndarray:
    """The version each instance runs at each time."""
    canary = instance == story.canary_instance
    bad_from = story.bad_canary if canary else story.bad_rollout
    fix_from = story.fix_canary if canary else story.fix_rollout
    out = np.full(t.shape, "2.3.9", dtype=object)
    out[t >= bad_from.timestamp()] = story.bad_version
    out[t >= fix_from.timestamp()] = "2.4.1"
    return out


def _latency_cdf(
    bounds: np.ndarray, median: float, sigma: float, slow: float, factor: float
) -> np.ndarray:
    """CDF of the latency mixture (a share ``slow`` of requests ``factor`` times slower)."""
    fast = stats.lognorm.cdf(bounds, s=sigma, scale=median)
    slow_cdf = stats.lognorm.cdf(bounds, s=sigma, scale=median * factor)
    return (1 - slow) * fast + slow * slow_cdf


def _fmt(v: float) -> str:
    return (
        repr(round(float(v), 6)).removesuffix(".0")
        if float(v).is_integer()
        else repr(round(float(v), 6))
    )


def _matrix(series: list[tuple[dict[str, str], np.ndarray, np.ndarray]]) -> dict[str, Any]:
    result = []
    for labels, t, v in series:
        if t.size:
            result.append(
                {"metric": labels, "values": [[int(a), _fmt(b)] for a, b in zip(t, v, strict=True)]}
            )
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def _dump(obj: Any, path: Path) -> Path:
    path.write_text(json.dumps(obj, separators=(",", ":")) + "\n")
    return path


def generate_demo(
    out: str | Path, *, seed: int = 20260302, days: int = 7, story: Story = STORY
) -> list[Path]:
    """Write the demo exports into ``out``; the same seed gives the same bytes.

    Parameters
    ----------
    out
        Directory to write into (created if missing).
    seed
        Seed of the numpy generator that draws every random number.
    days
        Length of the period from 2026-03-02 (7 for the shipped demo).
    story
        When the releases, the flag flip and the incident happen.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    t = START.timestamp() + STEP_S * np.arange(days * 86400 // STEP_S + 1, dtype="float64")
    hours = ((t - START.timestamp()) / 3600.0) % 24
    weekday = (((t - START.timestamp()) // 86400) % 7).astype(int)
    # Diurnal traffic (peak at 15:00 UTC), a little lower at the weekend: requests/s per instance.
    rate = (
        6.0
        * (1.0 + 0.6 * np.cos((hours - 15.0) / 24.0 * 2 * math.pi))
        * np.where(weekday >= 5, 0.7, 1.0)
    )
    bounds = np.asarray(BUCKETS)
    counters, hist, cpu = [], [], []
    spans: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for instance in INSTANCES:
        version = _version(t, instance, story)
        bad = version == story.bad_version
        busy = np.zeros_like(t)
        for endpoint, spec in ENDPOINTS.items():
            regressed = bad & (endpoint == story.regressed_endpoint)
            n = rng.poisson(rate * spec["share"] * STEP_S)
            err_p = np.where(regressed, story.bad_error_ratio, spec["errors"])
            errors = rng.binomial(n, err_p)
            slow = np.where(regressed, story.slow_share, 0.0)
            # Load makes things a little slower: +15 % at peak.
            median = spec["median"] * (1 + 0.15 * (rate - rate.min()) / (rate.max() - rate.min()))
            cdf = np.stack(
                [
                    _latency_cdf(bounds, m, spec["sigma"], s, story.slow_factor)
                    for m, s in zip(median, slow, strict=True)
                ]
            )
            probs = np.diff(
                np.concatenate([np.zeros((len(t), 1)), cdf, np.ones((len(t), 1))], axis=1), axis=1
            )
            per_bucket = rng.multinomial(n, probs)
            mean = median * np.exp(spec["sigma"] ** 2 / 2) * (1 + slow * (story.slow_factor - 1))
            sums = n * mean * rng.normal(1.0, 0.02, size=len(t))
            busy += sums / STEP_S
            restart_at = story.restart.timestamp() if instance == "checkout-1" else math.inf
            for ver in dict.fromkeys(version):
                mask = version == ver
                base = {
                    "endpoint": endpoint,
                    "instance": instance,
                    "job": "checkout",
                    "version": ver,
                }
                after = t[mask] >= restart_at  # the process restarts: counters start again from 0

                def cumulative(
                    x: np.ndarray, mask: np.ndarray = mask, after: np.ndarray = after
                ) -> np.ndarray:
                    x = x[mask].astype("float64")
                    c = np.cumsum(x)
                    if after.any() and not after.all():
                        first = int(np.argmax(after))
                        c[first:] -= c[first - 1]
                    return c

                ok = n - errors
                counters.append(
                    (
                        {"__name__": "http_requests_total", **base, "code": "200"},
                        t[mask],
                        cumulative(ok),
                    )
                )
                counters.append(
                    (
                        {"__name__": "http_requests_total", **base, "code": "500"},
                        t[mask],
                        cumulative(errors),
                    )
                )
                cum_b = np.cumsum(per_bucket, axis=1)
                for j, le in enumerate([*BUCKETS, math.inf]):
                    le_s = "+Inf" if math.isinf(le) else repr(float(le))
                    hist.append(
                        (
                            {
                                "__name__": "http_request_duration_seconds_bucket",
                                **base,
                                "le": le_s,
                            },
                            t[mask],
                            cumulative(cum_b[:, j]),
                        )
                    )
                hist.append(
                    (
                        {"__name__": "http_request_duration_seconds_count", **base},
                        t[mask],
                        cumulative(n),
                    )
                )
                hist.append(
                    (
                        {"__name__": "http_request_duration_seconds_sum", **base},
                        t[mask],
                        cumulative(sums),
                    )
                )
            _sample_spans(rng, spans, t, instance, endpoint, spec, version, story, n)
        usage = np.clip(
            0.05
            + busy * 0.9 * np.where(version == story.bad_version, 1.15, 1.0)
            + rng.normal(0, 0.01, len(t)),
            0,
            1,
        )
        cpu.append(
            (
                {"__name__": "process_cpu_usage_ratio", "instance": instance, "job": "checkout"},
                t,
                usage,
            )
        )
    files = [
        _dump(_matrix(counters), out / "prometheus_http_requests.json"),
        _dump(_matrix(hist), out / "prometheus_latency.json"),
        _dump(_matrix(cpu), out / "prometheus_cpu.json"),
        _dump(_otlp(spans), out / "otlp_traces.json"),
        _annotations(out / "deploys.csv", story, days),
    ]
    return files


def _sample_spans(
    rng: np.random.Generator,
    spans: dict[tuple[str, str], list[dict[str, Any]]],
    t: np.ndarray,
    instance: str,
    endpoint: str,
    spec: dict[str, float],
    version: np.ndarray,
    story: Story,
    n: np.ndarray,
) -> None:
    """Keep about 1 request in 1000 as a span (head sampling), with exact durations."""
    kept = rng.binomial(n, 1 / 1000)
    idx = np.repeat(np.arange(len(t)), kept)
    if idx.size == 0:
        return
    start = t[idx] + rng.uniform(0, STEP_S, idx.size)
    ver = version[idx]
    regressed = (ver == story.bad_version) & (endpoint == story.regressed_endpoint)
    slow = rng.random(idx.size) < np.where(regressed, story.slow_share, 0.0)
    dur = rng.lognormal(math.log(spec["median"]), spec["sigma"], idx.size) * np.where(
        slow, story.slow_factor, 1.0
    )
    err = rng.random(idx.size) < np.where(regressed, story.bad_error_ratio, spec["errors"])
    for i in range(idx.size):
        s_ns = round(start[i] * 1e6) * 1000
        e_ns = s_ns + round(dur[i] * 1e6) * 1000
        tid = rng.bytes(16).hex()
        spans.setdefault((instance, str(ver[i])), []).append(
            {
                "traceId": tid,
                "spanId": tid[:16],
                "name": f"POST {endpoint}" if endpoint == "/api/checkout" else f"GET {endpoint}",
                "kind": 2,
                "startTimeUnixNano": str(s_ns),
                "endTimeUnixNano": str(e_ns),
                "attributes": [
                    {"key": "http.route", "value": {"stringValue": endpoint}},
                    {
                        "key": "http.response.status_code",
                        "value": {"intValue": "500" if err[i] else "200"},
                    },
                ],
                "status": {"code": 2} if err[i] else {},
            }
        )


def _start_ns(span: dict[str, Any]) -> int:
    return int(span["startTimeUnixNano"])


def _otlp(spans: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[str, Any]:
    resource_spans: list[dict[str, Any]] = []
    for (instance, version), items in sorted(spans.items()):
        resource_spans.append(
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "checkout"}},
                        {"key": "service.version", "value": {"stringValue": version}},
                        {"key": "service.instance.id", "value": {"stringValue": instance}},
                    ]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.asgi"},
                        "spans": sorted(items, key=_start_ns),
                    }
                ],
            }
        )
    return {"resourceSpans": resource_spans}


def _annotations(path: Path, story: Story, days: int) -> Path:
    end = START + dt.timedelta(days=days)

    def iso(x: dt.datetime) -> str:
        return x.strftime("%Y-%m-%dT%H:%M:%SZ")

    rows = [
        (
            story.bad_canary,
            story.bad_rollout,
            "deploy",
            "canary: checkout 2.4.0 on checkout-2",
            story.bad_version,
            story.canary_instance,
        ),
        (story.flag_flip, None, "flag", "flag recommendations_v2 enabled for 50% of users", "", ""),
        (
            story.bad_rollout,
            story.bad_rollout + dt.timedelta(minutes=8),
            "deploy",
            "rollout: checkout 2.4.0 to all instances",
            story.bad_version,
            "",
        ),
        (
            story.incident_start,
            story.fix_rollout,
            "incident",
            "INC-2417: checkout p99 latency above SLO",
            "",
            "",
        ),
        (
            story.fix_canary,
            story.fix_rollout,
            "deploy",
            "canary: checkout 2.4.1 (fix N+1 query) on checkout-2",
            "2.4.1",
            story.canary_instance,
        ),
        (
            story.fix_rollout,
            story.fix_rollout + dt.timedelta(minutes=8),
            "deploy",
            "rollout: checkout 2.4.1 to all instances",
            "2.4.1",
            "",
        ),
    ]
    lines = ["timestamp,end,kind,text,service,version,instance"]
    for start, stop, kind, text, version, instance in rows:
        if start >= end:
            continue
        lines.append(
            ",".join(
                [
                    iso(start),
                    iso(stop) if stop else "",
                    kind,
                    f'"{text}"',
                    "checkout",
                    version,
                    instance,
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path
