"""Imports every built-in reader so that it registers itself (explicit list)."""

from pipbench.ingest import (  # noqa: F401
    annotations,
    csv_long,
    otlp_json,
    prometheus_json,
)
