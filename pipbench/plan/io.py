"""Saving and loading a PIP record as JSON."""

from __future__ import annotations

import os
from pathlib import Path

import pydantic

from pipbench.errors import InputError
from pipbench.plan.model import Pip

__all__ = ["load_pip", "save_pip"]


def save_pip(pip: Pip, path: str | os.PathLike[str]) -> Path:
    """Write the record as indented JSON (atomically: temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(pip.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_pip(path: str | os.PathLike[str]) -> Pip:
    """Read a record written by :func:`save_pip`.

    Raises
    ------
    InputError
        The file is missing, not JSON, or not a valid PIP; the message names the file
        and the first offending field (``hypotheses.1.rank``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = "no such PIP file"
        raise InputError(msg, file=path) from None
    try:
        return Pip.model_validate_json(text)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        if first["type"] == "json_invalid":
            msg = f"not valid JSON: {first['msg']}"
            raise InputError(msg, file=path) from None
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        msg = f"{first['msg']}{more}"
        raise InputError(msg, file=path, field=field) from None
