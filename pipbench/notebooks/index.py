"""An offline ``index.html`` linking a report's pages, charts and evidence, by view.

A PIP's readers want different things: the **executive** view (verdict, SLO, budget),
the **on-call** view (what is burning, what changed, what to roll back) and the
**debug** view (drill-downs, distributions, the executed notebooks). Entries carry one
of these views and the index groups them in that order. Links are relative, images are
local files, styles are inline: the page opens from disk with no network.

Examples
--------
>>> import tempfile, pathlib
>>> from pipbench.notebooks import ReportEntry, write_index
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> _ = (out / "slo.html").write_text("<html></html>")
>>> path = write_index(out, [ReportEntry("SLO report", "slo.html", view="executive")])
>>> 'href="slo.html"' in path.read_text()
True
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipbench.errors import ConfigError
from pipbench.notebooks.run import NotebookRun

__all__ = ["VIEWS", "ReportEntry", "View", "entries_for_run", "write_index"]

View = Literal["executive", "on-call", "debug"]

#: The views, in the order the index shows them, with what each is for.
VIEWS: dict[str, str] = {
    "executive": "Verdict, SLO targets and error budget: is the PIP done, is it safe?",
    "on-call": "What is burning, what changed, and how to roll it back.",
    "debug": "Drill-downs, distributions and the executed notebooks.",
}

_IMAGE = (".png", ".svg")
_KIND = {".html": "report", ".ipynb": "notebook", ".json": "evidence", ".md": "record"}


@dataclass(frozen=True)
class ReportEntry:
    """One linked file in the index.

    Parameters
    ----------
    title
        The link text.
    path
        The file, absolute or relative to the index's directory.
    view
        ``"executive"``, ``"on-call"`` or ``"debug"``.
    description
        One line under the title.
    """

    title: str
    path: str | os.PathLike[str]
    view: View = "debug"
    description: str = ""


def entries_for_run(run: NotebookRun, *, view: View = "debug") -> list[ReportEntry]:
    """Index entries for everything a notebook run wrote (report first, then charts).

    SVG is preferred over PNG when a chart was written in both formats.
    """
    out = [ReportEntry(f"{run.name} (HTML report)", run.html, view=view)] if run.html else []
    stems: dict[str, Path] = {}
    for p in run.charts:
        if p.suffix in _IMAGE and (p.stem not in stems or p.suffix == ".svg"):
            stems[p.stem] = p
    out += [
        ReportEntry(stem, p, view=view, description=f"chart from {run.name}")
        for stem, p in stems.items()
    ]
    out += [
        ReportEntry(p.stem, p, view=view, description=f"evidence from {run.name}")
        for p in run.evidence
    ]
    out.append(
        ReportEntry(
            f"{run.name}.ipynb", run.executed, view="debug", description="executed notebook"
        )
    )
    return out


_CSS = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2rem}
p.lead{color:#555;margin-top:0} p.view{color:#666;margin:.2rem 0 1rem}
ul.files{list-style:none;padding:0} ul.files li{margin:.3rem 0}
span.kind{display:inline-block;min-width:5.5rem;color:#777;font-size:.85rem}
div.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1rem}
figure{margin:0;border:1px solid #e3e3e3;border-radius:4px;padding:.5rem;background:#fff}
figure img{width:100%;height:auto} figcaption{font-size:.9rem;margin-top:.3rem}
small{color:#666}
"""


def _href(path: Path, out_dir: Path) -> str:
    target = path if path.is_absolute() else out_dir / path
    rel = os.path.relpath(target.resolve(), out_dir.resolve())
    return Path(rel).as_posix()


def write_index(
    out_dir: str | os.PathLike[str],
    entries: Iterable[ReportEntry],
    *,
    title: str = "pipbench report",
    subtitle: str = "",
) -> Path:
    """Write ``out_dir/index.html`` linking ``entries``, grouped by view.

    Charts (PNG/SVG) are shown as thumbnails that link to the full image; other files
    are listed with their kind. Every link is relative to ``out_dir``.

    Raises
    ------
    ConfigError
        An entry's file does not exist, or its view is unknown.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = list(entries)
    for e in items:
        if e.view not in VIEWS:
            msg = f"write_index: entry {e.title!r} has view {e.view!r}; expected one of {', '.join(VIEWS)}"
            raise ConfigError(msg)
        p = Path(e.path)
        if not (p if p.is_absolute() else out / p).exists():
            msg = f"write_index: entry {e.title!r} points to {p}, which does not exist"
            raise ConfigError(msg)
    esc = html.escape
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="lead">{esc(subtitle) + " · " if subtitle else ""}generated {now}</p>',
    ]
    for view, blurb in VIEWS.items():
        group = [e for e in items if e.view == view]
        if not group:
            continue
        parts += [
            f'<section id="{view}"><h2>{esc(view.capitalize())}</h2>',
            f'<p class="view">{esc(blurb)}</p>',
        ]
        images = [e for e in group if Path(e.path).suffix.lower() in _IMAGE]
        files = [e for e in group if Path(e.path).suffix.lower() not in _IMAGE]
        if files:
            parts.append('<ul class="files">')
            for e in files:
                suffix = Path(e.path).suffix.lower()
                kind = _KIND.get(suffix, suffix.lstrip(".") or "file")
                desc = f" <small>{esc(e.description)}</small>" if e.description else ""
                href = esc(_href(Path(e.path), out), quote=True)
                parts.append(
                    f'<li><span class="kind">{kind}</span><a href="{href}">{esc(e.title)}</a>{desc}</li>'
                )
            parts.append("</ul>")
        if images:
            parts.append('<div class="charts">')
            for e in images:
                href = esc(_href(Path(e.path), out), quote=True)
                desc = f"<br><small>{esc(e.description)}</small>" if e.description else ""
                parts.append(
                    f'<figure><a href="{href}"><img src="{href}" alt="{esc(e.title, quote=True)}"></a>'
                    f"<figcaption>{esc(e.title)}{desc}</figcaption></figure>"
                )
            parts.append("</div>")
        parts.append("</section>")
    if not items:
        parts.append("<p>No entries.</p>")
    parts.append("</body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
