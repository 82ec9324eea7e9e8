"""Generators of large files in each format the readers take (seeded, deterministic).

Each ``write_<format>(path, rows)`` writes about ``rows`` records and returns the number
of rows the dataset should receive (samples + events), so a benchmark can check it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

T0_MS = 1_700_000_000_000
_ENDPOINTS = ["/api/orders", "/api/users", "/api/items", "/api/cart", "/health"]


def _rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


def write_prometheus_text(path: Path, rows: int) -> int:
    """A ``promtool tsdb dump-openmetrics``-like file: 100 series, 15 s apart."""
    rng = _rng()
    n_series = 100
    steps = max(rows // n_series, 1)
    with open(path, "w") as fh:
        for s in range(n_series):
            ep = _ENDPOINTS[s % len(_ENDPOINTS)]
            labels = f'{{code="200", endpoint="{ep}", instance="api-{s}:8080", job="api"}}'
            vals = np.cumsum(rng.integers(0, 50, steps))
            ts = (T0_MS + 15_000 * np.arange(steps)) / 1000
            fh.writelines(
                f"http_requests_total{labels} {v} {t:.3f}\n" for v, t in zip(vals, ts, strict=True)
            )
        fh.write("# EOF\n")
    return n_series * steps


def write_k6_ndjson(path: Path, rows: int) -> int:
    """k6 ``--out json``: per request, http_reqs + http_req_duration + http_req_failed points."""
    rng = _rng()
    n_req = max(rows // 3, 1)
    dur = rng.lognormal(4.5, 0.6, n_req)
    status = np.where(rng.random(n_req) < 0.01, 503, 200)
    with open(path, "w") as fh:
        for metric in ("http_reqs", "http_req_duration", "http_req_failed"):
            fh.write(
                json.dumps(
                    {"type": "Metric", "data": {"name": metric, "type": "trend"}, "metric": metric}
                )
                + "\n"
            )
        for i in range(n_req):
            ep = _ENDPOINTS[i % len(_ENDPOINTS)]
            ms = T0_MS + i * 5
            sec, frac = divmod(ms, 1000)
            t = f"2023-11-14T22:{(sec // 60) % 60:02d}:{sec % 60:02d}.{frac:03d}123456Z"
            tags = (
                f'{{"expected_response":"{str(status[i] == 200).lower()}","group":"","method":"GET",'
                f'"name":"https://shop.example.com{ep}","proto":"HTTP/1.1","scenario":"default",'
                f'"status":"{status[i]}","url":"https://shop.example.com{ep}"}}'
            )
            for metric, v in (
                ("http_reqs", 1),
                ("http_req_duration", round(float(dur[i]), 6)),
                ("http_req_failed", int(status[i] != 200)),
            ):
                fh.write(
                    f'{{"metric":"{metric}","type":"Point","data":{{"time":"{t}","value":{v},"tags":{tags}}}}}\n'
                )
    return 3 * n_req


def write_jmeter(path: Path, rows: int) -> int:
    """JMeter 5 default-column JTL CSV; start times slightly out of order."""
    rng = _rng()
    ts = T0_MS + np.arange(rows) * 3 + rng.integers(-40, 40, rows)
    el = rng.integers(5, 900, rows)
    ok = rng.random(rows) > 0.02
    header = (
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
        "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
    )
    with open(path, "w") as fh:
        fh.write(header)
        fh.writelines(
            f"{ts[i]},{el[i]},GET {_ENDPOINTS[i % 5]},{200 if ok[i] else 500},"
            f"{'OK' if ok[i] else 'Internal Server Error'},Users 1-{i % 64},text,"
            f"{'true' if ok[i] else 'false'},,5120,180,64,64,https://shop.example.com{_ENDPOINTS[i % 5]},"
            f"{max(el[i] - 3, 0)},0,{i % 7}\n"
            for i in range(rows)
        )
    return rows


def write_locust_history(path: Path, rows: int) -> int:
    """Locust ``_stats_history.csv``: 5 endpoints + Aggregated every second; 21 metrics/row."""
    n = max(rows // 21, 1)
    pct = "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
    header = (
        f"Timestamp,User Count,Type,Name,Requests/s,Failures/s,{pct},Total Request Count,"
        "Total Failure Count,Total Median Response Time,Total Average Response Time,"
        "Total Min Response Time,Total Max Response Time,Total Average Content Size\n"
    )
    with open(path, "w") as fh:
        fh.write(header)
        for i in range(n):
            name = [*_ENDPOINTS, "Aggregated"][i % 6]
            kind = "" if name == "Aggregated" else "GET"
            t = 1_700_000_000 + i // 6
            fh.write(
                f"{t},50,{kind},{name},12.5,0.1,40,45,50,55,70,85,90,91,95,99,120,"
                f"{i},{i // 100},41,50.1,12.1,150.2,4870.2\n"
            )
    return n * 21


def write_grafana_wide(path: Path, rows: int) -> int:
    """A Grafana "series joined by time" download: 20 series as columns."""
    rng = _rng()
    n_cols = 20
    n = max(rows // n_cols, 1)
    names = [f'"rate(http_requests_total{{instance=""api-{c}:8080""}}[5m])"' for c in range(n_cols)]
    vals = rng.random((n, n_cols)).round(4)
    with open(path, "w") as fh:
        fh.write('"Time",' + ",".join(names) + "\n")
        for i in range(n):
            ms = T0_MS + i * 15_000
            fh.write(f"{ms}," + ",".join(map(str, vals[i])) + "\n")
    return n * n_cols


def write_gatling(path: Path, rows: int) -> int:
    """A Gatling 3.x text simulation.log."""
    rng = _rng()
    el = rng.integers(5, 900, rows)
    with open(path, "w") as fh:
        fh.write(f"RUN\tbench.Simulation\tbench\t{T0_MS}\t \t3.9.5\n")
        fh.writelines(
            f"REQUEST\t\t{_ENDPOINTS[i % 5]}\t{T0_MS + i * 3}\t{T0_MS + i * 3 + el[i]}\tOK\t \n"
            for i in range(rows)
        )
    return rows


def _iso(ms: np.ndarray, suffix: str = "Z") -> list[str]:
    text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="s")
    return [t + suffix for t in text.tolist()]


def write_cloudwatch(path: Path, rows: int) -> int:
    """A GetMetricData response with 10 results, one point a minute, newest first."""
    per = max(rows // 10, 1)
    ts = _iso(T0_MS + 60_000 * np.arange(per)[::-1], "+00:00")
    values = (np.arange(per) % 97).astype(float).tolist()
    results = [
        {
            "Id": f"m{r}",
            "Label": f"Latency{r}",
            "Timestamps": ts,
            "Values": values,
            "StatusCode": "Complete",
        }
        for r in range(10)
    ]
    path.write_text(json.dumps({"MetricDataResults": results, "Messages": []}))
    return per * 10


def write_influx(path: Path, rows: int) -> int:
    """Flux annotated CSV: one table of ``rows`` rows across 10 hosts, 10 s apart per host."""
    ts = _iso(T0_MS + 10_000 * (np.arange(rows) // 10))
    with open(path, "w") as fh:
        fh.write("#group,false,false,true,true,false,false,true,true,true\n")
        fh.write(
            "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string,string\n"
        )
        fh.write("#default,_result,,,,,,,,\n")
        fh.write(",result,table,_start,_stop,_time,_value,_field,_measurement,host\n")
        fh.writelines(
            f",,{i % 10},2023-11-14T00:00:00Z,2023-11-30T00:00:00Z,{ts[i]},{i % 101}.5,usage_user,cpu,host-{i % 10}\n"
            for i in range(rows)
        )
    return rows


def write_jmeter_fast(path: Path, target_bytes: int) -> int:
    """A large JMeter JTL written with polars (for the memory benchmark); returns its rows."""
    import polars as pl

    rows = max(target_bytes // 121, 1)  # about 121 bytes per row
    rng = _rng(11)
    ok = rng.random(rows) > 0.02
    el = rng.integers(5, 900, rows)
    ep = np.array(_ENDPOINTS)[np.arange(rows) % 5]
    frame = pl.DataFrame(
        {
            "timeStamp": T0_MS + np.arange(rows) * 2 + rng.integers(-40, 40, rows),
            "elapsed": el,
            "label": np.char.add("GET ", ep),
            "responseCode": np.where(ok, 200, 500),
            "responseMessage": np.where(ok, "OK", "Internal Server Error"),
            "threadName": np.char.add("Users 1-", (np.arange(rows) % 64).astype(str)),
            "dataType": "text",
            "success": np.where(ok, "true", "false"),
            "failureMessage": "",
            "bytes": 5120,
            "sentBytes": 180,
            "grpThreads": 64,
            "allThreads": 64,
            "URL": np.char.add("https://shop.example.com", ep),
            "Latency": np.maximum(el - 3, 0),
            "IdleTime": 0,
            "Connect": np.arange(rows) % 7,
        }
    )
    frame.write_csv(path)
    return rows


WRITERS: dict[str, tuple[str, Callable[[Path, int], int]]] = {
    "prometheus-text": ("dump.om.txt", write_prometheus_text),
    "k6": ("k6.json", write_k6_ndjson),
    "jmeter": ("results.jtl", write_jmeter),
    "locust": ("run_stats_history.csv", write_locust_history),
    "grafana-csv": ("panel.csv", write_grafana_wide),
    "gatling": ("simulation.log", write_gatling),
    "cloudwatch": ("cw.json", write_cloudwatch),
    "influx-csv": ("flux.csv", write_influx),
}
