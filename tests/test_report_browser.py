"""Exported charts and reports in a real browser: drawn, and with no network.

Debian's ``chromium`` renders each page headless (``--dump-dom`` after the page's
scripts ran) with every host name mapped to nowhere, and writes a net-log. The tests
check that the DOM holds the drawn chart marks and that the page asked for nothing but
local files; a negative control proves the net-log check sees a page's remote request.

Chromium is installed by the session fixture when missing (``apt-get``, as root);
otherwise these tests skip with the reason.
"""

from __future__ import annotations

import base64
import re

import nbformat
import numpy as np
import polars as pl
import pytest

from pipbench import charts
from pipbench.notebooks import ReportEntry, export_html, write_index
from tests._browser import drawn_marks, ensure_chromium, render

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; installed with apt-get when missing (as root), else skip."""
    return ensure_chromium()


@pytest.fixture(scope="module")
def sample_chart():
    rng = np.random.default_rng(4)
    t = pl.datetime_range(
        pl.datetime(2026, 1, 1, time_zone="UTC"),
        pl.datetime(2026, 1, 1, 1, time_zone="UTC"),
        "1m",
        eager=True,
    )
    v = 0.2 + 0.02 * rng.standard_normal(len(t))
    df = pl.DataFrame({"timestamp": t, "value": v, "lower": 0.16, "upper": 0.24})
    ann = pl.DataFrame({"timestamp": [t[30]], "text": ["deploy v2"], "kind": ["deploy"]})
    return charts.sli_chart(df.with_columns(anomaly=pl.col("value") > 0.24), annotations=ann)


def test_net_log_check_sees_a_page_request(chromium, tmp_path):
    """Negative control: a page that loads remote resources is caught."""
    page = tmp_path / "remote.html"
    page.write_text(
        '<html><body><img src="https://cdn.example.com/x.png">'
        '<script src="http://cdn.example.org/vega.js"></script></body></html>'
    )
    got = render(chromium, page, tmp_path)
    assert got.page_requests == ["http://cdn.example.org/vega.js", "https://cdn.example.com/x.png"]


def test_offline_chart_html_draws_svg_marks_without_network(chromium, tmp_path, sample_chart):
    page = charts.save_chart(sample_chart, tmp_path / "sli.html")
    got = render(chromium, page, tmp_path)
    assert got.page_requests == []
    assert drawn_marks(got.dom) > 60  # one path per axis tick, line, band, points, rules
    assert "deploy v2" in got.dom  # the annotation label was drawn as SVG text


def test_notebook_report_and_index_render_offline(chromium, tmp_path, sample_chart):
    """The nbconvert report (SVG output inline) and the index page, rendered from disk."""
    svg = charts.save_chart(sample_chart, tmp_path / "charts" / "sli.svg").read_text()
    png = charts.save_chart(sample_chart, tmp_path / "charts" / "sli.png")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("chart", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output(
            "execute_result",
            data={"image/svg+xml": svg, "text/plain": "alt.LayerChart(...)"},
            execution_count=1,
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": base64.b64encode(png.read_bytes()).decode(), "text/plain": "png"},
        ),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Report\n\n$x^2$ stays as text offline"), cell]
    nbformat.write(nb, tmp_path / "report.ipynb")
    report = export_html(tmp_path / "report.ipynb", tmp_path / "report.html")
    got = render(chromium, report, tmp_path)
    assert got.page_requests == []
    assert drawn_marks(got.dom) > 60  # the chart is inline SVG in the DOM, not an <img>
    assert 'src="data:image/png;base64,' in got.dom

    index = write_index(
        tmp_path,
        [
            ReportEntry("Report", "report.html", view="executive"),
            ReportEntry("SLI", "charts/sli.svg", view="on-call"),
        ],
    )
    got = render(chromium, index, tmp_path)
    assert got.page_requests == []
    assert re.search(r'<img src="charts/sli.svg"', got.dom)
    assert got.dom.index('id="executive"') < got.dom.index('id="on-call"')
