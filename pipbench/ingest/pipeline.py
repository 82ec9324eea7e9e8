"""Ingest files into a dataset: sniff, read, apply the shared rules, write atomically.

Examples
--------
>>> import json, tempfile, pathlib
>>> from pipbench.ingest import ingest
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> body = {"status": "success", "data": {"resultType": "vector", "result": [
...     {"metric": {"__name__": "up", "job": "api"}, "value": [1767225600, "1"]}]}}
>>> _ = (d / "up.json").write_text(json.dumps(body))
>>> [r.samples for r in ingest([d / "up.json"], d / "ds")]
[1]
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipbench.dataset import Dataset, open_dataset
from pipbench.errors import InputError, UnknownFormatError
from pipbench.ingest.normalize import (
    finalize_events,
    finalize_samples,
    parse_timestamps,
    run_starts,
)
from pipbench.ingest.registry import ReadContext, Reader, ReadResult, Skip, get_reader, readers

__all__ = ["IngestReport", "expand_inputs", "ingest", "ingest_each", "ingest_file", "sniff_format"]

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class IngestReport:
    """What one file contributed (the ``--json`` output of ``pipbench ingest``)."""

    file: str
    format: str
    series: int
    samples: int
    events: int
    annotations: int
    t_min: str | None
    t_max: str | None
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    time_of_ingest_used: bool = False

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the documented keys."""
        return {
            "file": self.file,
            "format": self.format,
            "series": self.series,
            "samples": self.samples,
            "events": self.events,
            "annotations": self.annotations,
            "t_min": self.t_min,
            "t_max": self.t_max,
            "skipped": [s.as_dict() for s in self.skipped],
            "notes": list(self.notes),
            "time_of_ingest_used": self.time_of_ingest_used,
        }


def sniff_format(path: str | os.PathLike[str], head: bytes | None = None) -> Reader:
    """The reader most sure that ``path`` is its format, judged from content only."""
    p = Path(path)
    if head is None:
        with open(p, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    if not head.strip():
        msg = "the file is empty"
        raise InputError(msg, file=p, expected="a telemetry export")
    scored = sorted(((r.sniff(head, p), r.name, r) for r in readers()), key=lambda t: (-t[0], t[1]))
    best_score, _, best = scored[0]
    if best_score <= 0:
        if b"\x00" in head[:4096]:
            kind = "binary data"
        elif head.lstrip()[:1] in (b"{", b"["):
            kind = "JSON of no known structure (or truncated JSON)"
        else:
            kind = "text in no known format"
        msg = f"cannot tell the format: the file holds {kind}"
        names = ", ".join(r.name for r in readers())
        raise UnknownFormatError(
            msg, file=p, expected=f"one of {names} (or force one with --format)"
        )
    return best


def _iso(ts: dt.datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class _Tally:
    """What the report needs, accumulated while chunks stream through (bounded memory)."""

    def __init__(self) -> None:
        self.series: set[int] = set()
        self.lo: dt.datetime | None = None
        self.hi: dt.datetime | None = None
        self.skipped: list[Skip] = []

    def see(self, frame: pl.DataFrame, *, series: bool) -> None:
        if frame.height == 0:
            return
        a, b = frame.select(
            pl.col("timestamp").min().alias("lo"), pl.col("timestamp").max().alias("hi")
        ).row(0)
        self.lo = a if self.lo is None or (a is not None and a < self.lo) else self.lo
        self.hi = b if self.hi is None or (b is not None and b > self.hi) else self.hi
        if series:
            # Finalised samples are grouped by series: hash only each run's first row.
            labels = [c for c in frame.columns if c not in ("timestamp", "value", "source")]
            heads = frame.select(labels).filter(frame.select(run_starts(labels)).to_series())
            self.series.update(heads.select(pl.struct(labels).hash(seed=11)).to_series().to_list())

    def skip(self, items: list[Skip]) -> None:
        # Merge counts of the same reason across chunks.
        for item in items:
            for i, old in enumerate(self.skipped):
                if old.reason == item.reason:
                    line = old.line if old.line is not None else item.line
                    self.skipped[i] = Skip(old.reason, old.count + item.count, line)
                    break
            else:
                self.skipped.append(item)


_FULL_HASH_MAX = 64 << 20


def _file_key(path: Path, fmt: str, options: Mapping[str, Any]) -> str:
    """The source's identity: name, format, options and content.

    Content is hashed whole up to 64 MiB; above that, the size plus 64 blocks of 64 KiB
    spread over the file (a re-export of a large file changes its size or its blocks).
    """
    h = hashlib.sha256()
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size <= _FULL_HASH_MAX:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        else:
            h.update(str(size).encode())
            for k in range(64):
                fh.seek(k * (size - 65536) // 63)
                h.update(fh.read(65536))
    opts = json.dumps(options, sort_keys=True, default=str) if options else ""
    return f"{path.name}:{fmt}:{h.hexdigest()[:20]}:{hashlib.sha256(opts.encode()).hexdigest()[:8]}"


def _chunks(given: pl.DataFrame | Iterable[pl.DataFrame] | None) -> Iterator[pl.DataFrame]:
    if given is None:
        return
    if isinstance(given, pl.DataFrame):
        yield given
    else:
        yield from given


def _finish(result: ReadResult, tally: _Tally) -> dict[str, Iterator[pl.DataFrame]]:
    """Lazily apply the shared rules to each table's chunks, tallying as they pass."""

    def samples() -> Iterator[pl.DataFrame]:
        for chunk in _chunks(result.samples):
            if chunk.height:
                frame, skipped = finalize_samples(chunk)
                tally.skip(skipped)
                tally.see(frame, series=True)
                yield frame

    def table(name: str) -> Iterator[pl.DataFrame]:
        for chunk in _chunks(getattr(result, name)):
            if chunk.height:
                frame, skipped = finalize_events(chunk, name)
                tally.skip(skipped)
                tally.see(frame, series=False)
                yield frame

    return {"samples": samples(), "events": table("events"), "annotations": table("annotations")}


def ingest_file(
    path: str | os.PathLike[str],
    dataset: Dataset,
    *,
    format: str | None = None,
    at: dt.datetime | str | None = None,
    options: Mapping[str, Any] | None = None,
) -> IngestReport:
    """Ingest one file; see :func:`ingest`."""
    p = Path(path)
    if not p.is_file():
        msg = "no such file" if not p.exists() else "not a regular file"
        raise InputError(msg, file=p)
    try:
        reader = get_reader(format) if format else sniff_format(p)
    except InputError as err:
        raise err.with_file(p) from None
    at_given = at is not None
    if at is None:
        at_time = dt.datetime.now(dt.UTC)
    elif isinstance(at, dt.datetime):
        at_time = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    else:
        at_time = parse_timestamps(pl.Series([str(at)]), field="--at").item()
    ctx = ReadContext(at=at_time, at_given=at_given, options=dict(options or {}))
    tally = _Tally()
    try:
        result = reader.read(p, ctx)
        key = _file_key(p, reader.name, ctx.options)
        counts = dataset.write(_finish(result, tally), key=key, source=p.name)  # type: ignore[arg-type]
        # Read after the write: a streaming reader adds to its skips while its chunks are consumed.
        tally.skip(list(result.skipped))
    except InputError as err:
        raise err.with_file(p) from None
    except (
        UnicodeDecodeError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        OverflowError,
        pl.exceptions.PolarsError,
    ) as err:
        # A reader bug or an input it did not foresee: still one clear line, no traceback.
        msg = f"cannot read this file as {reader.name}: {type(err).__name__}: {err}"
        raise InputError(msg, file=p).with_file(p) from err
    return IngestReport(
        file=str(p),
        format=reader.name,
        series=len(tally.series),
        samples=counts["samples"],
        events=counts["events"],
        annotations=counts["annotations"],
        t_min=_iso(tally.lo),
        t_max=_iso(tally.hi),
        skipped=tally.skipped,
        notes=list(result.notes),
        time_of_ingest_used=result.used_default_time and not at_given,
    )


def ingest(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    dataset: str | os.PathLike[str] | Dataset,
    *,
    format: str | None = None,
    at: dt.datetime | str | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[IngestReport]:
    """Ingest telemetry exports into a dataset.

    Parameters
    ----------
    paths
        One file or several. The format is sniffed from each file's content.
    dataset
        The dataset directory (created if missing) or an open :class:`~pipbench.dataset.Dataset`.
    format
        Force a reader by name (see :func:`pipbench.ingest.reader_names`).
    at
        Timestamp for points that carry none; default: the time of ingest (reported).
    options
        Reader options, e.g. ``{"columns": {"timestamp": "ts", "value": "v"}}`` for CSV.

    Returns
    -------
    list of IngestReport
        One per file, in order.

    Raises
    ------
    InputError
        On the first file that cannot be read; that file changes nothing on disk.
    """
    if isinstance(dataset, Dataset):
        ds = dataset
    elif Path(dataset).exists():
        ds = open_dataset(dataset)
    else:
        ds = Dataset(Path(dataset))  # created by the first successful write, not before
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    return [ingest_file(p, ds, format=format, at=at, options=options) for p in items]


_GLOB_CHARS = frozenset("*?[")


def expand_inputs(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Files named by ``paths``: files as given, folders walked, glob patterns expanded.

    Folders are walked recursively in sorted order, skipping hidden files and folders
    (``.git``, ``.DS_Store``…) and anything under ``exclude`` (e.g. the dataset being
    written). A pattern may use ``**``. A path that does not exist is kept, so that the
    caller reports it as a bad input; a pattern that matches nothing is an error.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b.prom", "a.json", ".hidden", "sub/c.csv"):
    ...     (d / name).parent.mkdir(exist_ok=True)
    ...     _ = (d / name).write_text("x")
    >>> [p.relative_to(d).as_posix() for p in expand_inputs([d])]
    ['a.json', 'b.prom', 'sub/c.csv']
    """
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    skip = [Path(e).resolve() for e in exclude]

    def excluded(p: Path) -> bool:
        rp = p.resolve()
        return any(rp == e or e in rp.parents for e in skip)

    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen and not excluded(p):
            seen.add(key)
            out.append(p)

    for item in items:
        text = os.fspath(item)
        p = Path(text)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and not excluded(Path(root) / d)
                )
                for name in sorted(files):
                    if not name.startswith("."):
                        add(Path(root) / name)
        elif not p.exists() and _GLOB_CHARS & set(text):
            matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))]
            found = [m for m in matches if m.is_file()]
            if not found:
                msg = f"no file matches {text!r}"
                raise InputError(
                    msg, expected="a file, a folder or a glob such as 'exports/**/*.json'"
                )
            for f in found:
                add(f)
        else:
            add(p)
    return out


def ingest_each(
    paths: Iterable[str | os.PathLike[str]],
    dataset: str | os.PathLike[str] | Dataset,
    *,
    format: str | None = None,
    at: dt.datetime | str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Iterator[tuple[Path, IngestReport | InputError]]:
    """Ingest files one by one, going on past bad ones.

    Yields ``(path, report)`` for each file ingested and ``(path, error)`` for each that
    could not be; a bad file changes nothing in the dataset (see :meth:`Dataset.write`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "bad.txt").write_text("hello")
    >>> [(p.name, type(r).__name__) for p, r in ingest_each([d / "bad.txt"], d / "ds")]
    [('bad.txt', 'UnknownFormatError')]
    """
    if isinstance(dataset, Dataset):
        ds = dataset
    elif Path(dataset).exists():
        ds = open_dataset(dataset)
    else:
        ds = Dataset(Path(dataset))
    for p in paths:
        path = Path(p)
        try:
            yield path, ingest_file(path, ds, format=format, at=at, options=options)
        except InputError as err:
            yield path, err.with_file(path)
