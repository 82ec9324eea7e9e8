"""The reader registry: one small class per family of formats, registered by name.

A reader declares ``name`` and ``description``, a ``sniff(head, path)`` that scores how
sure it is that a file is its format (0 = not mine, 1 = certain) from the first bytes,
and ``read(path, ctx)`` that returns a :class:`ReadResult`. Readers never write: the
pipeline normalises, validates and writes what they return.

Examples
--------
>>> from pipbench.ingest.registry import reader_names
>>> "prometheus-json" in reader_names()
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import polars as pl

from pipbench.errors import UnknownFormatError

__all__ = [
    "ReadContext",
    "ReadResult",
    "Reader",
    "Skip",
    "get_reader",
    "reader_names",
    "readers",
    "register_reader",
]


@dataclass(frozen=True)
class Skip:
    """Something a reader could not use: why, how many, and where the first one was."""

    reason: str
    count: int = 1
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "count": self.count, "line": self.line}


@dataclass(frozen=True)
class ReadContext:
    """What a reader knows besides the file.

    Attributes
    ----------
    at
        Timestamp (UTC) for points that carry none (``--at`` or the time of ingest).
    at_given
        Whether ``at`` came from the user (else it is the time of ingest).
    options
        Reader-specific options, e.g. a CSV column mapping.
    """

    at: dt.datetime
    at_given: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ReadResult:
    """Rows for each table plus what was skipped; any table may be ``None``.

    A table may also be an iterable of frames (chunks): the pipeline applies the shared
    rules and writes each chunk as it comes, so a reader that streams keeps memory bounded.
    Duplicates are then found within a chunk, not across chunks.
    """

    samples: pl.DataFrame | Iterable[pl.DataFrame] | None = None
    events: pl.DataFrame | Iterable[pl.DataFrame] | None = None
    annotations: pl.DataFrame | Iterable[pl.DataFrame] | None = None
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    used_default_time: bool = False


class Reader(Protocol):
    """What a format reader provides."""

    name: ClassVar[str]
    description: ClassVar[str]

    def sniff(self, head: bytes, path: Path) -> float:
        """Confidence in [0, 1] that ``head`` (the file's first bytes) is this format."""
        ...

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        """Parse the file; raise :class:`~pipbench.errors.InputError` on bad input."""
        ...


_READERS: dict[str, Reader] = {}


def register_reader(cls: type[Any]) -> type[Any]:
    """Class decorator: register a reader under its ``name`` (names are unique)."""
    name = getattr(cls, "name", "")
    if not name:
        msg = f"reader {cls.__name__} needs a non-empty `name`"
        raise ValueError(msg)
    if name in _READERS and type(_READERS[name]) is not cls:
        msg = f"a reader named {name!r} is already registered"
        raise ValueError(msg)
    _READERS[name] = cls()
    return cls


def _load_builtin() -> None:
    # Explicit imports register the built-in readers (no discovery by scanning).
    from pipbench.ingest import builtin  # noqa: F401


def readers() -> list[Reader]:
    """Every registered reader, sorted by name."""
    _load_builtin()
    return [_READERS[k] for k in sorted(_READERS)]


def reader_names() -> list[str]:
    """The names accepted by ``--format``."""
    return [r.name for r in readers()]


def get_reader(name: str) -> Reader:
    """The reader called ``name``; an unknown name lists the known ones."""
    _load_builtin()
    try:
        return _READERS[name]
    except KeyError:
        msg = f"unknown format {name!r}"
        raise UnknownFormatError(msg, expected="one of " + ", ".join(sorted(_READERS))) from None
