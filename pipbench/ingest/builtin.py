"""Imports every built-in reader so that it registers itself (explicit list)."""

from pipbench.ingest import (  # noqa: F401
    annotations,
    cloudwatch,
    csv_long,
    gatling,
    grafana_annotations,
    grafana_csv,
    influx_csv,
    jmeter,
    k6,
    locust,
    otlp_json,
    prometheus_json,
    prometheus_text,
)
