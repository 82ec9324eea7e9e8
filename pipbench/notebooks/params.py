"""A notebook's parameters (its ``parameters`` cell) and checking values against them."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipbench.errors import ConfigError, InputError

__all__ = ["Parameter", "notebook_parameters", "validate_parameters"]

_TYPES: dict[str, type | None] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
    "None": type(None),
    "NoneType": type(None),
}


@dataclass(frozen=True)
class Parameter:
    """One parameter declared in a notebook's ``parameters`` cell.

    Attributes
    ----------
    name
        The variable name.
    types
        The accepted Python types, from the annotation (``n: int = 5``,
        ``path: str | None = None``) or else from the default's literal type; empty when
        anything goes (an unannotated ``None`` default or an unknown annotation).
    default
        The default's source text, as written in the cell.
    help
        The trailing comment on the line, if any.
    choices
        The allowed values of a ``Literal[...]`` annotation (empty: no restriction).
    """

    name: str
    types: tuple[type, ...]
    default: str
    help: str = ""
    choices: tuple[Any, ...] = ()

    @property
    def type_name(self) -> str:
        """``"int"``, ``"str | None"``, ``"one of 'a', 'b'"``; ``"any"`` when unconstrained."""
        if self.choices:
            return "one of " + ", ".join(map(repr, self.choices))
        return (
            " | ".join(t.__name__ if t is not type(None) else "None" for t in self.types) or "any"
        )

    def check(self, value: Any, *, notebook: str) -> Any:
        """Return ``value`` (an int widened to float where float is expected) or raise."""
        if self.choices:
            if value in self.choices and not isinstance(value, bool | float):
                return value
            msg = (
                f"notebook {notebook!r}: parameter {self.name!r} expects {self.type_name} "
                f"(default {self.default}), got {value!r}"
            )
            raise ConfigError(msg)
        if not self.types:
            return value
        if isinstance(value, bool) and bool not in self.types:
            pass  # bool is an int subclass: do not let True pass as an int
        elif isinstance(value, self.types):
            return value
        elif float in self.types and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        msg = (
            f"notebook {notebook!r}: parameter {self.name!r} expects {self.type_name} "
            f"(default {self.default}), got {value!r} ({type(value).__name__})"
        )
        raise ConfigError(msg)

    def parse(self, text: str, *, notebook: str) -> Any:
        """Convert a command-line string to this parameter's type, then :meth:`check` it.

        A ``str`` parameter takes the text as is (``none``/``null`` give None when None
        is allowed); other types read it as a Python literal (``5``, ``1e-05``,
        ``[1, 2]``) or else as YAML (``true``, ``[a, b]``).
        """
        none_allowed = type(None) in self.types or not self.types
        if none_allowed and text.strip().lower() in ("none", "null", "~"):
            return None
        if str in self.types or any(isinstance(c, str) for c in self.choices):
            return self.check(text, notebook=notebook) if self.choices else text
        try:  # Python literals first: 1e-05, -3, [1, 2], True
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            try:  # then YAML: true, yes, [a, b]
                value = yaml.safe_load(text)
            except yaml.YAMLError:
                value = text
        return self.check(value, notebook=notebook)


def _annotation_types(node: ast.expr) -> tuple[type, ...] | None:
    """Types an annotation allows; None when it is not one we model (then: any)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _annotation_types(node.left), _annotation_types(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Constant) and node.value is None:
        return (type(None),)
    if isinstance(node, ast.Name):
        t = _TYPES.get(node.id)
        return (t,) if t is not None else None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id == "Optional":
            inner = _annotation_types(node.slice)
            return None if inner is None else (*inner, type(None))
        if node.value.id in ("list", "dict"):
            return (_TYPES[node.value.id],)  # type: ignore[return-value]
    return None


def _literal_choices(annotation: ast.expr | None) -> tuple[Any, ...]:
    """The values of a ``Literal["a", "b"]`` annotation (``()`` for any other)."""
    if not (
        isinstance(annotation, ast.Subscript)
        and isinstance(annotation.value, ast.Name | ast.Attribute)
        and (getattr(annotation.value, "id", None) or getattr(annotation.value, "attr", None))
        == "Literal"
    ):
        return ()
    node = annotation.slice
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    try:
        return tuple(ast.literal_eval(e) for e in elts)
    except ValueError:
        return ()


def _types_of(annotation: ast.expr | None, value: ast.expr) -> tuple[type, ...]:
    if annotation is not None:
        types = _annotation_types(annotation)
        return tuple(dict.fromkeys(types)) if types else ()
    try:
        default = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError):
        return ()
    if default is None:
        return ()
    return (type(default),)


def _parameters_cell(path: Path) -> tuple[int, str] | None:
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as err:  # JSON and schema errors come in many types
        msg = f"not a readable notebook: {err}"
        raise InputError(msg, file=path) from None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i, cell.source
    return None


def notebook_parameters(path: str | os.PathLike[str]) -> dict[str, Parameter]:
    """The parameters a notebook declares in its ``parameters`` cell, in order.

    Read statically (no kernel): each top-level ``name = literal`` or
    ``name: type = literal`` is a parameter; a trailing ``# comment`` is its help.
    A notebook without a cell tagged ``parameters`` has none.

    Raises
    ------
    InputError
        The file is missing, not a notebook, or its parameters cell is not valid Python.
    """
    path = Path(path)
    if not path.is_file():
        msg = "no such notebook"
        raise InputError(msg, file=path)
    found = _parameters_cell(path)
    if found is None:
        return {}
    index, source = found
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        msg = f"the parameters cell (cell {index}) is not valid Python: {err.msg}"
        raise InputError(msg, file=path, line=err.lineno) from None
    lines = source.splitlines()
    out: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, annotation, value = node.targets[0], None, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, annotation, value = node.target, node.annotation, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        # ast offsets count UTF-8 bytes, not characters
        line = lines[(node.end_lineno or node.lineno) - 1].encode("utf-8")
        rest = line[node.end_col_offset or 0 :].decode("utf-8", errors="replace")
        helptext = rest.split("#", 1)[1].strip() if "#" in rest else ""
        choices = _literal_choices(annotation)
        out[target.id] = Parameter(
            name=target.id,
            types=tuple(dict.fromkeys(type(c) for c in choices)) or _types_of(annotation, value),
            choices=choices,
            default=ast.get_source_segment(source, value) or ast.unparse(value),
            help=helptext,
        )
    return out


def validate_parameters(
    declared: dict[str, Parameter],
    values: dict[str, Any],
    *,
    notebook: str,
    from_strings: bool = False,
) -> dict[str, Any]:
    """Check ``values`` against the declared parameters; returns the values to inject.

    Parameters
    ----------
    declared
        From :func:`notebook_parameters`.
    values
        Name → value. With ``from_strings=True`` the values are command-line strings
        and are converted to the declared type first (YAML scalars: ``5``, ``0.5``,
        ``true``, ``[a, b]``).
    notebook
        The notebook's name, for messages.

    Raises
    ------
    ConfigError
        An unknown name (the message lists the known ones) or a value of the wrong type
        (the message names the parameter, the expected type and its default).

    Examples
    --------
    >>> p = {"n": Parameter("n", (int,), "10")}
    >>> validate_parameters(p, {"n": "5"}, notebook="demo", from_strings=True)
    {'n': 5}
    >>> validate_parameters(p, {"m": 5}, notebook="demo")
    Traceback (most recent call last):
    ...
    pipbench.errors.ConfigError: notebook 'demo' has no parameter 'm' (its parameters: n)
    """
    unknown = [k for k in values if k not in declared]
    if unknown:
        known = ", ".join(declared) or "none: it has no parameters cell"
        names = ", ".join(map(repr, unknown))
        noun = "parameter" if len(unknown) == 1 else "parameters"
        msg = f"notebook {notebook!r} has no {noun} {names} (its parameters: {known})"
        raise ConfigError(msg)
    out = {}
    for k, v in values.items():
        p = declared[k]
        out[k] = p.parse(v, notebook=notebook) if from_strings else p.check(v, notebook=notebook)
    return out
