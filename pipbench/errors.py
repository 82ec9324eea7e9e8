"""Errors raised by pipbench.

One base class, :class:`PipbenchError`; each subclass also inherits the builtin it
refines, so callers can catch either (scikit-learn's ``NotFittedError`` habit).

Examples
--------
>>> from pipbench.errors import InputError
>>> str(InputError("bad number", file="a.csv", line=3, field="value", expected="a float"))
'a.csv:3: field value: bad number (expected a float)'
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "InputError",
    "NotFittedError",
    "PipbenchError",
    "UnknownFormatError",
]


class PipbenchError(Exception):
    """Base class of every error pipbench raises on purpose."""


class InputError(PipbenchError, ValueError):
    """Input data that cannot be read: says which file, line or field, and what was expected.

    Parameters
    ----------
    message
        What is wrong, in one short sentence.
    file, line, field
        Where it is wrong. ``line`` is 1-based.
    expected
        What would have been accepted.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        if self.field is not None:
            where += f"field {self.field}: "
        tail = f" (expected {self.expected})" if self.expected else ""
        return f"{where}{self.message}{tail}"

    def with_file(self, file: str | Path) -> InputError:
        """Return the same error with ``file`` filled in (when it was not known yet)."""
        if self.file is None:
            self.file = str(file)
        return self


class UnknownFormatError(InputError):
    """The format of a file could not be recognised, or the forced format is unknown."""


class ConfigError(PipbenchError, ValueError):
    """A parameter or a spec has a value pipbench cannot use; the message names it."""


class NotFittedError(PipbenchError, ValueError, AttributeError):
    """A baseline or detector was used before ``fit``."""
