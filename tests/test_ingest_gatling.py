"""Gatling simulation.log reader: Gatling 3.x and 2.x text layouts; binary logs refused.

Reference: the record layouts of Gatling's ``LogFileDataWriter`` (RUN, USER, REQUEST with
start/end epoch ms and OK/KO, GROUP, ERROR) — 2.x adds scenario and user id before the
groups — and the 3.12 release notes (simulation.log became binary). Counts are read off the
fixtures.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipbench.errors import InputError
from tests.ingest_fixtures import fixture, read, span

R = "gatling"


def test_gatling3_requests_and_users() -> None:
    frames, skipped, result = read(R, fixture(R, "simulation_3.9.log"))
    ev, users = frames["events"], frames["samples"]
    assert ev.height == 5
    assert not skipped
    assert span(ev) == ("2023-11-14T22:13:20.110000Z", "2023-11-14T22:13:21.300000Z")
    search = ev.filter(pl.col("name") == "search").row(0, named=True)
    assert (search["ok"], search["group"], search["duration_s"]) == (False, "Search", 0.525)
    assert "found 500" in search["message"]
    assert ev["ok"].sum() == 3
    assert users["value"].to_list() == [1, 2, 1, 0]
    assert len(result.notes) == 2  # GROUP and ERROR records counted


def test_gatling2_layout_with_scenario_and_user_id() -> None:
    frames, _, _ = read(R, fixture(R, "simulation_2.2.log"))
    ev, users = frames["events"], frames["samples"]
    assert ev.height == 3
    assert ev.filter(~pl.col("ok"))["duration_s"].item() == 1.0
    assert set(ev["simulation"]) == {"RecordedSimulation"}
    # user 1: 04.100–04.700, user 2: 04.300–05.400
    assert users.sort("timestamp")["value"].to_list() == [1, 2, 1, 0]


def test_binary_log_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    p = tmp_path / "simulation.log"
    p.write_bytes(b"\x00\x00\x00\x06\x00\x05\x33.12.0\x00\x22computerdatabase.BasicSimulation\x01")
    with pytest.raises(InputError, match=r"binary simulation\.log of Gatling 3\.12"):
        read(R, p)


def test_gatling_2_0_four_timestamps(tmp_path: Path) -> None:
    """Gatling 2.0 wrote request start/end and response start/end: start → last end."""
    p = tmp_path / "simulation.log"
    p.write_text(
        "RUN\tSim\tsim\t1400000000000\t \t2.0.0\n"
        "REQUEST\tScn\t1\t\tlogin\t1400000000100\t1400000000110\t1400000000300\t1400000000350\tOK\t \n"
    )
    frames, _, _ = read(R, p)
    ev = frames["events"].row(0, named=True)
    assert (ev["name"], ev["duration_s"]) == ("login", 0.25)
