"""Grafana annotations reader, against the Grafana HTTP API's ``/api/annotations`` response.

Reference: Grafana's "Annotations HTTP API" (fields ``time``/``timeEnd`` in epoch ms, a
point annotation has ``timeEnd == time``; alert annotations carry ``alertId`` and
``prevState``/``newState``). Expected rows are read off the fixture.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from tests.ingest_fixtures import fixture, read

R = "grafana-annotations"


def test_api_annotations() -> None:
    frames, skipped, _ = read(R, fixture(R, "api_annotations.json"))
    a = frames["annotations"].sort("timestamp")
    assert a.height == 4
    assert not skipped
    assert a["kind"].to_list() == ["deploy", "incident", "alert", "flag"]
    deploy = a.row(0, named=True)
    assert deploy["timestamp"] == dt.datetime(2024, 3, 10, 14, 5, tzinfo=dt.UTC)
    assert deploy["end"] is None  # a point annotation
    assert deploy["text"] == "Deployed checkout-api v2.14.0 (run 881)"  # HTML stripped
    incident = a.row(1, named=True)
    assert incident["end"] - incident["timestamp"] == dt.timedelta(hours=1)
    assert a.row(2, named=True)["text"] == "ok → alerting"
    assert a.filter(pl.col("kind") == "deploy")["tags"].item() == "deploy,checkout-api,v2.14.0"
