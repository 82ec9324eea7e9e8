"""The dataset: a directory of Parquet tables every analysis reads.

Layout (plain Parquet; DuckDB, pyarrow, Spark or Dask read it with no pipbench code)::

    DIR/
      samples/      part-<key>.parquet   metric points
      events/       part-<key>.parquet   one row per request, span, log or iteration
      annotations/  part-<key>.parquet   deploys, flag flips, incidents
      _manifest.json                     the committed parts (pipbench reads only these)
      .lock                              serialises writers (fcntl)

Each ingested source contributes one part per table, named by a key derived from the
source's content (and the options that shaped it), so ingesting the same file twice
replaces the part with identical bytes: idempotent by construction. A write stages every
part in ``.staging/``, then, under the lock, renames them into place and replaces the
manifest atomically; a crash at any point leaves the previous manifest, so pipbench sees
the dataset as it was before that file. Parts left over by a crash are removed by the next
write.

Examples
--------
>>> import tempfile, datetime as dt, polars as pl
>>> from pipbench.dataset import open_dataset
>>> ds = open_dataset(tempfile.mkdtemp())
>>> t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
>>> frame = pl.DataFrame({"timestamp": [t], "metric": ["up"], "value": [1.0]})
>>> _ = ds.write({"samples": frame}, key="example", source="example.json")
>>> ds.samples().select("metric", "value").collect().rows()
[('up', 1.0)]
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from pipbench.errors import InputError

__all__ = [
    "CORE_COLUMNS",
    "TABLES",
    "TIMESTAMP",
    "Dataset",
    "Table",
    "conform",
    "open_dataset",
]

Table = Literal["samples", "events", "annotations"]
TABLES: tuple[Table, ...] = ("samples", "events", "annotations")

#: The timestamp type of every table: UTC, microseconds.
TIMESTAMP = pl.Datetime("us", "UTC")

#: Columns each table always has, in order; every other column is a string label.
CORE_COLUMNS: dict[Table, dict[str, pl.DataType]] = {
    "samples": {
        "timestamp": TIMESTAMP,
        "metric": pl.String(),
        "value": pl.Float64(),
        "source": pl.String(),
    },
    "events": {
        "timestamp": TIMESTAMP,
        "duration_s": pl.Float64(),
        "name": pl.String(),
        "status": pl.String(),
        "ok": pl.Boolean(),
        "source": pl.String(),
    },
    "annotations": {
        "timestamp": TIMESTAMP,
        "end": TIMESTAMP,
        "kind": pl.String(),
        "text": pl.String(),
        "source": pl.String(),
    },
}

_MANIFEST = "_manifest.json"


def conform(frame: pl.DataFrame, table: Table, *, source: str | None = None) -> pl.DataFrame:
    """Cast ``frame`` to the table's schema: core columns first, then labels sorted by name.

    Missing core columns are added as nulls; every extra column becomes a string label.
    A label named like a core column is renamed ``label_<name>``.

    Parameters
    ----------
    frame
        Rows for ``table``. Must have ``timestamp`` (and ``metric``/``value`` for samples).
    table
        ``"samples"``, ``"events"`` or ``"annotations"``.
    source
        Fills the ``source`` column where the frame has none.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> f = pl.DataFrame({"timestamp": [dt.datetime(2026, 1, 1)], "metric": ["x"],
    ...                   "value": [1], "pod": ["a"]})
    >>> conform(f, "samples", source="f.csv").columns
    ['timestamp', 'metric', 'value', 'source', 'pod']
    """
    core = CORE_COLUMNS[table]
    if "timestamp" not in frame.columns:
        msg = f"a {table} frame needs a 'timestamp' column; it has {frame.columns}"
        raise ValueError(msg)
    exprs: list[pl.Expr] = []
    for name, dtype in core.items():
        if name in frame.columns:
            col = pl.col(name)
            if isinstance(dtype, pl.Datetime):
                src = frame.schema[name]
                if isinstance(src, pl.Datetime) and src.time_zone is None:
                    col = col.dt.replace_time_zone("UTC")
                exprs.append(col.cast(TIMESTAMP).alias(name))
            else:
                exprs.append(col.cast(dtype).alias(name))
        elif name == "source" and source is not None:
            exprs.append(pl.lit(source, pl.String()).alias(name))
        else:
            exprs.append(pl.lit(None, dtype).alias(name))
    labels = sorted(c for c in frame.columns if c not in core)
    exprs.extend(pl.col(c).cast(pl.String()).alias(c) for c in labels)
    return frame.select(exprs)


@dataclass(frozen=True)
class Dataset:
    """A pipbench dataset on disk; see the module docstring for the layout.

    Use :func:`open_dataset` to get one. Reads are lazy polars scans; writes are atomic.
    """

    path: Path

    # ------------------------------------------------------------------ reading
    def parts(self, table: Table) -> list[Path]:
        """The committed Parquet files of ``table``, in a stable order."""
        manifest = self._read_manifest()
        return [self.path / rel for rel in sorted(_flat(manifest.get(table, {}).values()))]

    def scan(self, table: Table) -> pl.LazyFrame:
        """A lazy frame over every committed part of ``table`` (labels unioned, nulls where absent).

        An empty table gives an empty frame with the core columns.
        """
        files = self.parts(table)
        if not files:
            return pl.LazyFrame(schema=CORE_COLUMNS[table])
        scans = [pl.scan_parquet(f) for f in files]
        if len(scans) == 1:
            return scans[0]
        frame = pl.concat(scans, how="diagonal_relaxed")
        core = list(CORE_COLUMNS[table])
        labels = sorted(set(frame.collect_schema().names()) - set(core))
        return frame.select(core + labels)

    def samples(self) -> pl.LazyFrame:
        """Metric points: ``timestamp, metric, value, source`` and label columns."""
        return self.scan("samples")

    def events(self) -> pl.LazyFrame:
        """Per-request/span/iteration records: ``timestamp, duration_s, name, status, ok, source``…"""
        return self.scan("events")

    def annotations(self) -> pl.LazyFrame:
        """Deploys, flag flips, incidents: ``timestamp, end, kind, text, source`` and labels."""
        return self.scan("annotations")

    def sources(self) -> list[str]:
        """The keys of every committed source, sorted."""
        manifest = self._read_manifest()
        return sorted({key for table in TABLES for key in manifest.get(table, {})})

    def labels(self, table: Table = "samples") -> list[str]:
        """Label columns present in ``table``."""
        names = self.scan(table).collect_schema().names()
        return [n for n in names if n not in CORE_COLUMNS[table]]

    # ------------------------------------------------------------------ writing
    def write(
        self,
        frames: Mapping[Table, pl.DataFrame | Iterable[pl.DataFrame] | None],
        *,
        key: str,
        source: str,
    ) -> dict[Table, int]:
        """Atomically add (or replace) the parts of one source.

        Parameters
        ----------
        frames
            Rows per table: a frame, or an iterable of frames (chunks, written one by one as
            they come, so memory stays bounded); each is passed through :func:`conform`.
            Empty or ``None`` tables remove that source's previous parts of the table.
        key
            The identity of the source: writing the same key again replaces its parts.
        source
            The name stored in the ``source`` column where the frames have none.

        Returns
        -------
        dict
            Rows written per table.
        """
        safe = _safe_key(key)
        staging = self.path / ".staging" / f"{safe}-{uuid.uuid4().hex[:8]}"
        counts: dict[Table, int] = {}
        staged: dict[Table, list[Path]] = {}
        # One writer thread: chunk n is compressed and written while chunk n+1 is being
        # produced (polars releases the GIL); at most one write waits, so memory stays bounded.
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipbench-write")
        pending: Future[None] | None = None
        try:
            staging.mkdir(parents=True, exist_ok=True)
            for table in TABLES:
                given = frames.get(table)
                chunks = [given] if isinstance(given, pl.DataFrame) else (given or [])
                counts[table] = 0
                for i, frame in enumerate(chunks):
                    if frame.height == 0:
                        continue
                    conformed = conform(frame, table, source=source)
                    out = staging / f"{table}-{i:05d}.parquet"
                    if pending is not None:
                        pending.result()
                    pending = writer.submit(
                        conformed.write_parquet, out, compression="zstd", statistics=True
                    )
                    staged.setdefault(table, []).append(out)
                    counts[table] += conformed.height
            if pending is not None:
                pending.result()
                pending = None
            with self._locked():
                manifest = self._read_manifest()
                for table in TABLES:
                    (self.path / table).mkdir(exist_ok=True)
                    entries = manifest.setdefault(table, {})
                    files = staged.get(table, [])
                    if not files:
                        entries.pop(key, None)
                        continue
                    rels = []
                    for i, f in enumerate(files):
                        suffix = "" if len(files) == 1 else f"-{i:05d}"
                        rel = f"{table}/part-{safe}{suffix}.parquet"
                        os.replace(f, self.path / rel)
                        rels.append(rel)
                    entries[key] = rels[0] if len(rels) == 1 else rels
                self._write_manifest(manifest)
                self._collect_garbage(manifest)
        finally:
            writer.shutdown(wait=True)  # a failed chunk: let a write in flight finish first
            # The (hidden) .staging folder itself stays: removing it could race another writer.
            shutil.rmtree(staging, ignore_errors=True)
        return counts

    # ----------------------------------------------------------------- internals
    def _read_manifest(self) -> dict[str, dict[str, Any]]:
        try:
            text = (self.path / _MANIFEST).read_text()
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            msg = "the dataset manifest is not valid JSON"
            raise InputError(msg, file=self.path / _MANIFEST, line=err.lineno) from None
        return {t: dict(data.get(t, {})) for t in TABLES}

    def _write_manifest(self, manifest: Mapping[str, Mapping[str, Any]]) -> None:
        tmp = self.path / f".{_MANIFEST}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / _MANIFEST)

    def _collect_garbage(self, manifest: Mapping[str, Mapping[str, Any]]) -> None:
        live = {rel for entries in manifest.values() for rel in _flat(entries.values())}
        for table in TABLES:
            folder = self.path / table
            if not folder.is_dir():
                continue
            for f in folder.glob("part-*.parquet"):
                if f"{table}/{f.name}" not in live:
                    f.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.path / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _flat(values: Iterable[str | list[str]]) -> list[str]:
    """Manifest entries are one path or, for a source written in chunks, a list of paths."""
    out: list[str] = []
    for v in values:
        out.extend([v] if isinstance(v, str) else v)
    return out


def _safe_key(key: str) -> str:
    """A file-name-safe, collision-resistant form of a source key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in Path(key).name)[:40]
    return f"{stem}-{digest}"


def open_dataset(path: str | os.PathLike[str], *, create: bool = True) -> Dataset:
    """Open (and by default create) the dataset directory at ``path``.

    Parameters
    ----------
    path
        The dataset directory.
    create
        Create it when missing; with ``create=False`` a missing dataset is an error.

    Examples
    --------
    >>> import tempfile
    >>> ds = open_dataset(tempfile.mkdtemp())
    >>> ds.samples().collect().height
    0
    """
    p = Path(path)
    if not p.exists():
        if not create:
            msg = "no dataset here"
            raise InputError(msg, file=p, expected="a directory made by `pipbench ingest`")
        p.mkdir(parents=True)
    elif not p.is_dir():
        msg = "not a directory"
        raise InputError(msg, file=p, expected="a dataset directory")
    return Dataset(p)
