"""``make demo`` end to end (a subset of its notebooks): the PIP record and the offline report.

The demo's index and a notebook report are opened in Debian's headless Chromium with every
host name mapped to nowhere; the DOM must hold drawn chart marks and the net-log must show
no request beyond local files (see ``tests/_browser.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipbench import plan
from pipbench.demo import STORY
from pipbench.demo.pipeline import DEMO_NOTEBOOKS, run_demo
from pipbench.notebooks import list_notebooks
from tests._browser import drawn_marks, ensure_chromium, render

SUBSET = ["regression_triage", "canary_verification", "pip_report"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    index = run_demo(out, notebooks=SUBSET, echo=lambda _: None)
    assert index == out / "index.html"
    return out


def test_every_demo_notebook_ships() -> None:
    assert {n for n, _ in DEMO_NOTEBOOKS} <= {nb.name for nb in list_notebooks()}


def test_pip_record_tells_the_story_and_round_trips(demo: Path) -> None:
    pip_json = demo / "pip_report" / "pip.json"
    record = plan.load_pip(pip_json)
    assert plan.load_pip(plan.save_pip(record, demo / "again.json")) == record
    assert record.verdict is plan.Verdict.ROLL_OUT  # the 2.4.1 canary passed
    assert record.verification
    assert all(v.passed for v in record.verification)
    assert STORY.regressed_endpoint in record.scope.endpoints
    assert STORY.bad_version in record.hypotheses[0].statement
    onset = record.timeline[0].at
    assert STORY.bad_canary <= onset <= STORY.bad_rollout


def test_pip_markdown_embeds_charts_by_relative_path(demo: Path) -> None:
    md_path = demo / "pip_report" / "PIP.md"
    text = md_path.read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links, "no chart embedded"
    for link in links:
        assert not link.startswith("/")
        assert (md_path.parent / link).resolve().is_file(), link


@pytest.mark.browser
def test_demo_index_and_report_render_offline(demo: Path, tmp_path: Path) -> None:
    chromium = ensure_chromium()
    index = render(chromium, demo / "index.html", tmp_path)
    assert index.page_requests == []
    for name in SUBSET:
        assert f'href="{name}/{name}.html"' in index.dom
    assert index.dom.count("<img") >= 4  # chart thumbnails
    report = render(chromium, demo / "regression_triage" / "regression_triage.html", tmp_path)
    assert report.page_requests == []
    assert drawn_marks(report.dom) > 100  # the SLI, change points, drill-down and heatmap drawn
