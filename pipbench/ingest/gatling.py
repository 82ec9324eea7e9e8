"""Gatling's text ``simulation.log`` (Gatling 2.x–3.11); the binary log of ≥ 3.12 is refused.

What it reads
-------------
Tab-separated records; the first field names the kind:

- ``RUN  <simulation class>  <simulation id>  <start ms>  <description>  <version>``
- ``REQUEST  [<scenario>  <user id>]  <groups>  <name>  <start ms>  <end ms>  OK|KO  <message>``
  — the leading scenario/user fields exist in Gatling 2.x and early 3.x only, and Gatling
  2.0 wrote four times (request start/end, response start/end); the layout is found from
  the first ``REQUEST`` line.
- ``USER  <scenario>  [<user id>]  START|END  <time ms>  …``
- ``GROUP`` and ``ERROR`` records (counted in the notes; requests carry their messages).

Rules
-----
- Each ``REQUEST`` is an event: ``timestamp`` = its start, ``duration_s`` = (end − start)
  / 1000, ``name``, ``status`` (``OK``/``KO``), ``ok``, labels ``group`` and ``message``
  (the failed check's text), and ``simulation`` from the ``RUN`` record.
- ``USER`` records become the sample series ``gatling_active_users`` (per scenario): the
  number of users started and not yet ended, at each start or end.
- Gatling 3.12 and later write a binary ``simulation.log``; it is refused with a message
  saying how to get a report instead (pipbench cannot read a format Gatling does not
  document).

Examples
--------
>>> from pipbench.ingest.gatling import GatlingReader
>>> GatlingReader().sniff(b"RUN\\tcomputerdatabase.BasicSimulation\\tbasicsimulation\\t"
...                       b"1700000000000\\t \\t3.9.5\\n", None)
1.0
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import polars as pl

from pipbench.errors import InputError
from pipbench.ingest.normalize import epoch_to_datetime
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["GatlingReader"]

_RECORD = re.compile(rb"^(RUN|REQUEST|USER|GROUP|ERROR|ASSERTION)\t", re.MULTILINE)


@register_reader
class GatlingReader:
    """Gatling ``simulation.log`` (text records of Gatling 2.x–3.11)."""

    name: ClassVar[str] = "gatling"
    description: ClassVar[str] = "Gatling simulation.log (text, ≤ 3.11; binary ≥ 3.12 refused)"

    def sniff(self, head: bytes, path: Path | None) -> float:
        if head.startswith((b"RUN\t", b"REQUEST\t", b"USER\t")):
            return 1.0
        if len(_RECORD.findall(head[:8192])) >= 2:
            return 0.9
        if b"\x00" in head[:512] and (b"Simulation" in head[:4096] or b"gatling" in head[:4096]):
            return 0.5  # the binary log: refused with a clear message in read()
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if b"\x00" in head[:512] and not head.startswith((b"RUN\t", b"REQUEST\t", b"USER\t")):
            msg = "this is the binary simulation.log of Gatling 3.12 or later"
            raise InputError(
                msg,
                file=path,
                expected="a text simulation.log (Gatling ≤ 3.11), or the per-request data "
                "exported from Gatling Enterprise / the HTML report as CSV",
            )
        notes: list[str] = []
        skipped: list[Skip] = []
        counts = {"GROUP": 0, "ERROR": 0}
        simulation: str | None = None
        layout: tuple[int, int] | None = None
        events: list[pl.DataFrame] = []
        users: list[pl.DataFrame] = []
        first_line = 1
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(_CHUNK_BYTES)
                if not chunk:
                    break
                chunk += fh.readline()
                raw = _lines(chunk, first_line, path)
                first_line += chunk.count(b"\n")
                del chunk
                kinds = raw["f"].list.get(0, null_on_oob=True)
                if simulation is None:
                    run = raw.filter(kinds == "RUN")
                    if run.height and len(run["f"][0]) > 1:
                        simulation = run["f"][0][1]
                unknown = raw.filter(
                    ~kinds.is_in(["RUN", "REQUEST", "USER", "GROUP", "ERROR", "ASSERTION"])
                    & (pl.col("line").str.strip_chars() != "")
                )
                if unknown.height:
                    skipped.append(
                        Skip("not a Gatling record", unknown.height, int(unknown["lineno"][0]))
                    )
                for k in counts:
                    counts[k] += int((kinds == k).sum())
                req = raw.filter(kinds == "REQUEST")
                if req.height:
                    layout = layout or _layout(req, path)
                    ev = self._requests(req, path, layout, skipped)
                    if ev is not None:
                        events.append(ev)
                usr = raw.filter(kinds == "USER")
                if usr.height:
                    users.append(usr.select("lineno", "f"))
        for k, n in counts.items():
            if n:
                notes.append(f"{n} {k} records not kept (requests carry their messages)")
        event_frame = None
        if events:
            event_frame = pl.concat(events).with_columns(
                pl.lit(simulation, dtype=pl.String).alias("simulation")
            )
        samples = self._users(pl.concat(users), path, skipped) if users else None
        if event_frame is None and samples is None:
            msg = "no REQUEST or USER records"
            raise InputError(msg, file=path, expected="a Gatling simulation.log")
        return ReadResult(events=event_frame, samples=samples, skipped=_merge(skipped), notes=notes)

    @staticmethod
    def _requests(
        req: pl.DataFrame, path: Path, layout: tuple[int, int], skipped: list[Skip]
    ) -> pl.DataFrame | None:
        status_at, n_times = layout
        f = pl.col("f")
        get = lambda i: f.list.get(i, null_on_oob=True)  # noqa: E731
        cols = req.select(
            pl.col("lineno"),
            get(status_at).alias("status"),
            get(status_at - n_times).cast(pl.Int64, strict=False).alias("start"),
            get(status_at - 1).cast(pl.Int64, strict=False).alias("end"),
            get(status_at - n_times - 1).alias("name"),
            (get(status_at - n_times - 2) if status_at - n_times - 2 >= 1 else pl.lit(None))
            .cast(pl.String)
            .alias("group"),
            f.list.slice(status_at + 1).list.join("\t").str.strip_chars().alias("message"),
        )
        bad = (
            ~cols["status"].is_in(["OK", "KO"]).fill_null(False)
            | cols["start"].is_null()
            | cols["end"].is_null()
        )
        if bad.any():
            first = int(cols.filter(bad)["lineno"][0])
            skipped.append(Skip("REQUEST record not in the file's layout", int(bad.sum()), first))
            cols = cols.filter(~bad)
        if not cols.height:
            return None
        start = epoch_to_datetime(
            cols["start"].cast(pl.Float64), unit="ms", file=path, lines=cols["lineno"].to_numpy()
        )
        return pl.DataFrame(
            {
                "timestamp": start,
                "duration_s": ((cols["end"] - cols["start"]) / 1000.0).cast(pl.Float64),
                "name": cols["name"],
                "status": cols["status"],
                "ok": cols["status"] == "OK",
                "group": cols["group"].replace("", None),
                "message": cols["message"].replace("", None),
            }
        )

    @staticmethod
    def _users(users: pl.DataFrame, path: Path, skipped: list[Skip]) -> pl.DataFrame | None:
        if not users.height:
            return None
        f = pl.col("f")
        # USER <scenario> [<user id>] START|END <time> …: find the START/END field.
        sel = users.select(
            pl.col("lineno"),
            f.list.get(1, null_on_oob=True).alias("scenario"),
            pl.when(f.list.get(2, null_on_oob=True).is_in(["START", "END"]))
            .then(pl.lit(2))
            .otherwise(pl.lit(3))
            .alias("at"),
            f,
        ).with_columns(
            pl.col("f").list.get(pl.col("at"), null_on_oob=True).alias("what"),
            # START: the first time after the token; END: the last (`… END <start> <end>`).
            pl.when(pl.col("f").list.get(pl.col("at"), null_on_oob=True) == "END")
            .then(
                pl.coalesce(
                    pl.col("f")
                    .list.get(pl.col("at") + 2, null_on_oob=True)
                    .cast(pl.Int64, strict=False),
                    pl.col("f")
                    .list.get(pl.col("at") + 1, null_on_oob=True)
                    .cast(pl.Int64, strict=False),
                )
            )
            .otherwise(
                pl.col("f")
                .list.get(pl.col("at") + 1, null_on_oob=True)
                .cast(pl.Int64, strict=False)
            )
            .alias("t"),
        )
        bad = ~sel["what"].is_in(["START", "END"]).fill_null(False) | sel["t"].is_null()
        if bad.any():
            skipped.append(
                Skip(
                    "USER record not understood", int(bad.sum()), int(sel.filter(bad)["lineno"][0])
                )
            )
            sel = sel.filter(~bad)
        if not sel.height:
            return None
        sel = sel.sort("t", "lineno").with_columns(
            pl.when(pl.col("what") == "START")
            .then(1.0)
            .otherwise(-1.0)
            .cum_sum()
            .over("scenario")
            .alias("value")
        )
        stamps = epoch_to_datetime(
            sel["t"].cast(pl.Float64), unit="ms", file=path, lines=sel["lineno"].to_numpy()
        )
        return pl.DataFrame(
            {
                "timestamp": stamps,
                "metric": pl.Series(["gatling_active_users"] * sel.height, dtype=pl.String),
                "value": sel["value"],
                "scenario": sel["scenario"],
            }
        ).unique(subset=["timestamp", "scenario"], keep="last", maintain_order=True)


_CHUNK_BYTES = 32 << 20


def _lines(chunk: bytes, first_line: int, path: Path) -> pl.DataFrame:
    """One block of whole lines → ``lineno``, ``line`` and its tab-separated fields ``f``."""
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as err:
        line = first_line + chunk.count(b"\n", 0, err.start)
        msg = "the file is not UTF-8 text"
        raise InputError(msg, file=path, line=line, expected="UTF-8 text") from None
    lines = pl.Series("line", text.split("\n"), dtype=pl.String)
    if text.endswith("\n"):
        lines = lines.head(len(lines) - 1)
    return pl.DataFrame(
        {
            "lineno": pl.int_range(first_line, first_line + len(lines), eager=True),
            "line": lines,
        }
    ).with_columns(pl.col("line").str.strip_chars_end("\r").str.split("\t").alias("f"))


def _layout(req: pl.DataFrame, path: Path) -> tuple[int, int]:
    """From the first well-formed REQUEST: the index of OK/KO and how many times precede it."""
    for fields in req["f"].head(50).to_list():
        for i in range(3, len(fields)):
            if fields[i] in ("OK", "KO") and fields[i - 1].isdigit() and fields[i - 2].isdigit():
                four = i >= 6 and fields[i - 3].isdigit() and fields[i - 4].isdigit()
                return i, 4 if four else 2
    msg = "no REQUEST record with start, end and OK/KO"
    raise InputError(
        msg,
        file=path,
        line=int(req["lineno"][0]),
        expected="REQUEST <groups> <name> <start ms> <end ms> OK|KO <message>",
    )


def _merge(skipped: list[Skip]) -> list[Skip]:
    """One entry per reason: counts added, the first line kept."""
    out: dict[str, Skip] = {}
    for k in skipped:
        prev = out.get(k.reason)
        out[k.reason] = (
            k
            if prev is None
            else Skip(
                k.reason, prev.count + k.count, prev.line if prev.line is not None else k.line
            )
        )
    return list(out.values())
