"""Notebook runner: parameters, headless runs, failures, outputs, index, CLI."""

from __future__ import annotations

import datetime as dt
import json
import keyword
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipbench.cli import main
from pipbench.errors import ConfigError, InputError
from pipbench.notebooks import (
    NotebookError,
    Parameter,
    ReportEntry,
    emit_evidence,
    export_html,
    find_notebook,
    list_notebooks,
    notebook_parameters,
    run_notebook,
    validate_parameters,
    write_index,
)
from pipbench.notebooks.index import entries_for_run
from pipbench.plan import Owner, Pip, Trigger

FIXTURES = Path(__file__).parent / "data" / "notebooks"
REPO_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EXTERNAL_SRC = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*?(?:src|href)\s*=\s*['\"]?(?:https?:)?//", re.I
)


# --------------------------------------------------------------------------- parameters


def test_parameters_are_read_from_the_parameters_cell():
    params = notebook_parameters(FIXTURES / "fixture_report.ipynb")
    assert list(params) == ["n", "label", "scale", "note"]
    assert [(p.type_name, p.default, p.help) for p in params.values()] == [
        ("int", "20", "number of points"),
        ("str", '"demo"', "series label"),
        ("float", "1.0", "value multiplier"),
        ("str | None", "None", ""),
    ]


def test_validate_parameters_converts_and_checks_types():
    params = notebook_parameters(FIXTURES / "fixture_report.ipynb")
    cli = {"n": "12", "label": "5", "scale": "2", "note": "none"}
    assert validate_parameters(params, cli, notebook="f", from_strings=True) == {
        "n": 12,
        "label": "5",  # a str parameter keeps the text as typed
        "scale": 2.0,  # an int is widened where a float is declared
        "note": None,
    }
    assert validate_parameters(params, {"scale": 3}, notebook="f") == {"scale": 3.0}
    with pytest.raises(ConfigError, match=r"parameter 'n' expects int \(default 20\), got 'x'"):
        validate_parameters(params, {"n": "x"}, notebook="f", from_strings=True)
    with pytest.raises(ConfigError, match=r"expects int .* got True"):
        validate_parameters(params, {"n": True}, notebook="f")
    with pytest.raises(ConfigError, match=re.escape("expects str | None")):
        validate_parameters(params, {"note": 3}, notebook="f")
    with pytest.raises(ConfigError) as err:
        validate_parameters(params, {"m": 1, "k": 2}, notebook="f")
    assert str(err.value) == (
        "notebook 'f' has no parameters 'm', 'k' (its parameters: n, label, scale, note)"
    )


def test_literal_parameters_accept_only_their_choices(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        'view: Literal["executive", "on-call"] = "executive"  # audience\nk: Literal[1, 2] = 1'
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "lit.ipynb")
    params = notebook_parameters(tmp_path / "lit.ipynb")
    assert params["view"].type_name == "one of 'executive', 'on-call'"
    ok = validate_parameters(
        params, {"view": "on-call", "k": "2"}, notebook="lit", from_strings=True
    )
    assert ok == {"view": "on-call", "k": 2}
    with pytest.raises(ConfigError, match="parameter 'view' expects one of 'executive', 'on-call'"):
        validate_parameters(params, {"view": "ceo"}, notebook="lit", from_strings=True)
    with pytest.raises(ConfigError, match="got True"):
        validate_parameters(params, {"k": True}, notebook="lit")


def test_parameter_parse_reads_yaml_scalars_and_lists():
    p = Parameter("xs", (list,), "[1]")
    assert p.parse("[1, 2, 3]", notebook="f") == [1, 2, 3]
    assert Parameter("b", (bool,), "False").parse("true", notebook="f") is True
    anything = Parameter("a", (), "None")
    assert anything.parse("0.5", notebook="f") == 0.5
    assert anything.parse("null", notebook="f") is None


def test_bad_notebooks_and_names_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such notebook"):
        notebook_parameters(tmp_path / "x.ipynb")
    (tmp_path / "junk.ipynb").write_text("{")
    with pytest.raises(InputError, match=r"junk\.ipynb: not a readable notebook"):
        notebook_parameters(tmp_path / "junk.ipynb")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = (")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "syntax.ipynb")
    with pytest.raises(
        InputError, match=r"syntax.ipynb:1: the parameters cell \(cell 0\) is not valid Python"
    ):
        notebook_parameters(tmp_path / "syntax.ipynb")
    listed = {i.name: i for i in list_notebooks(tmp_path)}
    assert "not valid Python" in listed["syntax"].error  # one bad notebook, listing goes on
    assert "not a readable notebook" in listed["junk"].error
    with pytest.raises(ConfigError, match=r"no notebook 'nope' \(available: junk, syntax\)"):
        find_notebook("nope", tmp_path)
    with pytest.raises(ConfigError, match=r"available: none in"):
        find_notebook("nope", tmp_path / "empty")


def test_wrong_parameters_fail_before_any_kernel_starts(tmp_path):
    with pytest.raises(ConfigError, match=r"has no parameter 'y' \(its parameters: x, dataset\)"):
        run_notebook("broken", {"y": 1}, out_dir=tmp_path / "out", directory=FIXTURES)
    assert not (tmp_path / "out" / "broken.ipynb").exists()


def test_list_notebooks_and_cli_list(capsys, monkeypatch):
    infos = list_notebooks(FIXTURES)
    assert [(i.name, i.title) for i in infos] == [
        ("broken", "Broken"),
        ("fixture_report", "Fixture report"),
    ]
    monkeypatch.setenv("PIPBENCH_NOTEBOOKS", str(FIXTURES))
    assert main(["notebook", "list"]) == 0
    out = capsys.readouterr().out
    assert "fixture_report  — Fixture report" in out
    assert "    n: int = 20  # number of points" in out
    assert main(["notebook", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[1]["parameters"][3] == {
        "name": "note",
        "type": "str | None",
        "default": "None",
        "help": "",
    }


# --------------------------------------------------------------------------- runs (papermill)


def test_cli_run_writes_notebook_report_charts_and_evidence(tmp_path, capsys, monkeypatch):
    """One real run: the outputs, the injected parameters and an offline HTML report."""
    monkeypatch.setenv("PIPBENCH_NOTEBOOKS", str(FIXTURES))
    monkeypatch.delenv("PIPBENCH_OUT", raising=False)
    out = tmp_path / "run"
    stale = out / "charts" / "old.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x")
    old = dt.datetime(2020, 1, 1).timestamp()
    os.utime(stale, (old, old))
    args = ["notebook", "run", "fixture_report", "-p", "n", "12", "-p", "label", "api p95"]
    assert main([*args, "-p", "note", "none", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "fixture_report: ran in" in printed
    assert "PIPBENCH_OUT" not in os.environ  # the kernel got it, this process did not
    own_index = (out / "index.html").read_text()
    assert 'href="fixture_report.html"' in own_index

    executed = nbformat.read(out / "fixture_report.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "n = 12" in injected[0].source
    assert 'label = "api p95"' in injected[0].source

    evidence = json.loads((out / "evidence" / "summary.json").read_text())
    ref = float(np.mean([i % 7 for i in range(12)]))  # what the notebook computes, by numpy
    assert evidence == {"label": "api p95", "mean": pytest.approx(ref), "n": 12, "note": None}

    png = (out / "charts" / "sli.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (out / "charts" / "sli.svg").read_text()
    assert svg.startswith("<svg")
    assert "api p95 SLI" in svg

    html = (out / "fixture_report.html").read_text()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 1  # the chart, inline
    assert "api p95 SLI" in html
    assert not EXTERNAL_SRC.search(html)
    assert 'src=""' not in html

    run = json.loads((out / "run.json").read_text())
    assert run["charts"] == ["charts/sli.png", "charts/sli.svg"]  # not the stale old.png
    assert run["parameters"] == {"n": 12, "label": "api p95", "note": None}

    # The index links every output of the run, relative to the index.
    from pipbench.notebooks.run import NotebookRun

    nr = NotebookRun(
        name="fixture_report",
        notebook=FIXTURES / "fixture_report.ipynb",
        out_dir=out,
        executed=out / "fixture_report.ipynb",
        html=out / "fixture_report.html",
        charts=(out / "charts" / "sli.png", out / "charts" / "sli.svg"),
        evidence=(out / "evidence" / "summary.json",),
        parameters={},
        seconds=0.0,
    )
    index = write_index(tmp_path, entries_for_run(nr, view="on-call"), title="Demo")
    page = index.read_text()
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert "run/charts/sli.svg" in hrefs
    assert "run/charts/sli.png" not in hrefs  # SVG preferred
    for h in hrefs:
        assert (tmp_path / h).is_file()
    assert page.index('id="on-call"') < page.index('id="debug"')


def test_failing_cell_names_notebook_cell_and_exception(tmp_path):
    """A pipbench error stops the run at its cell: one message, one line in the notebook."""
    out = tmp_path / "broken"
    with pytest.raises(NotebookError) as err:
        run_notebook("broken", {"x": 1}, out_dir=out, directory=FIXTURES)
    e = err.value
    # cell_index counts the source notebook's cells; In [4] because papermill ran its
    # injected-parameters cell before.
    assert (e.notebook, e.cell_index, e.execution_count) == ("broken", 3, 4)
    assert (e.ename, e.evalue) == ("InputError", "datasets/missing: no such dataset")
    source = nbformat.read(FIXTURES / "broken.ipynb", as_version=4)
    assert source.cells[e.cell_index].source.startswith("if dataset:")
    assert str(e).startswith(
        "notebook 'broken' failed at cell 3 (In [4]) `if dataset:`: "
        "InputError: datasets/missing: no such dataset"
    )
    # The partial results are kept; the failing cell shows one line, not a traceback,
    # and no later cell ran.
    assert e.executed == out / "broken.ipynb"
    executed = nbformat.read(out / "broken.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [o.traceback for o in errors] == [["InputError: datasets/missing: no such dataset"]]
    assert executed.cells[-1].execution_count is None
    assert "no such dataset" in (out / "broken.html").read_text()


# --------------------------------------------------------------------------- HTML export


def _svg_notebook(path: Path, svgs: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_markdown_cell("# R")]
    for i, svg in enumerate(svgs, start=1):
        cell = nbformat.v4.new_code_cell(f"secret_code_{i}()", execution_count=i)
        cell.outputs = [
            nbformat.v4.new_output(
                "display_data", data={"image/svg+xml": svg, "text/plain": "chart"}
            )
        ]
        cells.append(cell)
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def test_export_html_inlines_svg_with_distinct_ids_and_no_cdn(tmp_path):
    clip = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<clipPath id="clip1"><rect width="5" height="5"/></clipPath>'
        '<rect clip-path="url(#clip1)" width="9" height="9"/></svg>'
    )
    active = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    remote = '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x.example/a.png"/></svg>'
    src = _svg_notebook(tmp_path / "r.ipynb", [clip, clip, active, remote])
    html = export_html(src, tmp_path / "r.html").read_text()
    assert re.findall(r'id="(out\d+-clip1)"', html) == ["out1-clip1", "out2-clip1"]
    assert "url(#out1-clip1)" in html
    assert "url(#out2-clip1)" in html
    assert "<script>alert(1)</script>" not in html  # active SVG stays a sandboxed <img>
    assert "x.example" not in html  # the remote reference stays inside an <img> (base64)
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert "secret_code_1" in html
    assert not EXTERNAL_SRC.search(html)
    hidden = export_html(src, tmp_path / "h.html", hide_code=True).read_text()
    assert "secret_code_1" not in hidden
    assert 'id="out1-clip1"' in hidden


# --------------------------------------------------------------------------- emit / index


@pytest.fixture
def restore_altair():
    import altair as alt

    renderer, theme = alt.renderers.active, alt.theme.active
    yield alt
    alt.renderers.enable(renderer)
    alt.theme.enable(theme)


@pytest.mark.parametrize(
    ("renderer", "mimetypes"),
    [("svg", ["image/svg+xml"]), ("svg+png", ["image/svg+xml", "image/png"])],
)
def test_setup_enables_theme_and_an_offline_renderer(restore_altair, renderer, mimetypes):
    from pipbench.charts import THEME
    from pipbench.notebooks import setup

    alt = restore_altair
    setup(renderer=renderer)
    assert alt.theme.active == THEME
    chart = alt.Chart(pl.DataFrame({"x": [1, 2]})).mark_point().encode(x="x")
    bundle = chart._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert sorted(data) == sorted(mimetypes)
    assert data["image/svg+xml"].startswith("<svg")
    assert "text/html" not in data  # nothing that needs a CDN
    with pytest.raises(ConfigError, match="renderer must be one of"):
        setup(renderer="html")


def test_emit_evidence_serialises_frames_models_and_numpy(tmp_path, monkeypatch):
    monkeypatch.setenv("PIPBENCH_OUT", str(tmp_path))
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    obj = {
        "frame": pl.DataFrame({"t": [t], "v": [1.5]}),
        "array": np.array([1, 2]),
        "scalar": np.float64(0.25),
        "nan": float("nan"),
        "pip": Pip(id="P", title="t", owner=Owner(name="a"), trigger=Trigger(summary="s")),
        "when": t,
    }
    data = json.loads(emit_evidence("mixed", obj).read_text())
    assert data["frame"] == [{"t": "2026-01-01T00:00:00+00:00", "v": 1.5}]
    assert data["array"] == [1, 2]
    assert data["scalar"] == 0.25
    assert data["nan"] is None
    assert data["pip"]["owner"] == {"name": "a", "team": "", "contact": ""}
    assert data["when"] == "2026-01-01T00:00:00+00:00"
    with pytest.raises(
        ConfigError, match=r"emit_evidence\('bad'\): .*not JSON serializable: object"
    ):
        emit_evidence("bad", {"x": object()})
    with pytest.raises(ConfigError, match="becomes a file name"):
        emit_evidence("../escape", {})


def test_write_index_rejects_missing_files_and_unknown_views(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        write_index(tmp_path, [ReportEntry("x", "missing.html")])
    (tmp_path / "a.html").write_text("<html></html>")
    with pytest.raises(ConfigError, match="expected one of executive, on-call, debug"):
        write_index(tmp_path, [ReportEntry("x", "a.html", view="ceo")])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- committed notebooks


def _committed_notebooks() -> list[Path]:
    return sorted(REPO_NOTEBOOKS.glob("*.ipynb")) + sorted(FIXTURES.glob("*.ipynb"))


@pytest.mark.parametrize("path", _committed_notebooks(), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), (
        f"{path.name}: no cell tagged 'parameters'"
    )


# --------------------------------------------------------------------------- property tests

_values = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.lists(st.integers(-100, 100), max_size=4),
)
_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s)
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(_names, _values, min_size=1, max_size=5))
def test_parameters_cell_round_trip_property(tmp_path, params):
    """Reference: Python's own ``repr``/``ast.literal_eval``. Any literal default written
    into a parameters cell is read back with its type, and its command-line text (the
    ``repr``; ``str`` for text) parses back to the same value."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "\n".join(f"{k} = {v!r}  # {k} help" for k, v in params.items())
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "p.ipynb"
    nbformat.write(nb, path)
    declared = notebook_parameters(path)
    assert list(declared) == list(params)
    for k, v in params.items():
        p = declared[k]
        assert p.types == (type(v),)
        assert p.help == f"{k} help"
        text = v if isinstance(v, str) else repr(v)
        got = p.parse(text, notebook="p")
        assert got == v
        assert type(got) is type(v)
