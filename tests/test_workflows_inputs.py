"""The shared workflow input checks: one error naming the parameter, nothing created."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipbench.errors import ConfigError, InputError
from pipbench.workflows._inputs import as_datetime, need_dataset, need_time, utc


def test_an_empty_or_missing_directory_is_not_a_dataset(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "nothing"):
        with pytest.raises(InputError, match=r"wf: no dataset here \(parameter 'dataset'\)"):
            need_dataset(path, workflow="wf")
    assert not (tmp_path / "nothing").exists()
    assert not (tmp_path / "samples").exists()


def test_times_are_utc_and_bad_ones_name_the_parameter() -> None:
    """Reference: datetime.fromisoformat; a naive time is read as UTC."""
    want = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
    assert need_time("2026-03-04T10:00Z", parameter="start", workflow="wf") == want
    assert need_time(dt.datetime(2026, 3, 4, 10), parameter="start", workflow="wf") == want
    cet = dt.datetime(2026, 3, 4, 11, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert need_time(cet, parameter="start", workflow="wf").tzinfo is dt.UTC
    assert utc(None, parameter="end", workflow="wf") is None
    with pytest.raises(ConfigError, match=r"wf: parameter start='friday' is not an ISO-8601"):
        need_time("friday", parameter="start", workflow="wf")
    with pytest.raises(ConfigError, match=r"parameter 'end' is required"):
        need_time(None, parameter="end", workflow="wf")
    with pytest.raises(ConfigError, match=r"parameter at=3; expected an ISO-8601 time"):
        need_time(3, parameter="at", workflow="wf")


def test_as_datetime_narrows_frame_scalars() -> None:
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert as_datetime(t) is t
    assert as_datetime(None) is None
    with pytest.raises(TypeError, match="expected a timestamp"):
        as_datetime(1.5)
