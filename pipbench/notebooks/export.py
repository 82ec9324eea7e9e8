"""The executed notebook as one HTML page that renders with no network.

nbconvert's HTML template loads require.js and MathJax from a CDN and wraps SVG outputs
in ``<img src="data:...">``. :func:`export_html` switches the CDN scripts off (LaTeX then
shows as source) and puts SVG outputs inline, so the charts are part of the page's DOM.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

__all__ = ["export_html"]

_SVG_IMG = re.compile(r'<img\b[^>]*?src="data:image/svg\+xml;base64,([A-Za-z0-9+/=\s]+)"[^>]*>')
# Scripts, handlers, embedded HTML or remote references: such an SVG stays an <img>,
# where browsers run no script and load nothing remote.
_ACTIVE = re.compile(
    r"<script|<foreignObject|\son[a-z]+\s*=|javascript:|(?:href|src)\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|url\(\s*[\"']?\s*(?:https?:)?//|@import",
    re.IGNORECASE,
)
_EMPTY_SCRIPT = re.compile(r'<script src="">\s*</script>\n?')


def _inline_svgs(html: str) -> str:
    """Put SVG outputs inline (nbconvert wraps them in ``<img src="data:...">``).

    Inline SVG is part of the page's DOM (searchable, selectable text, checkable by a
    headless browser). Element ids get a per-output prefix so two charts' clip paths
    cannot collide; an SVG with active content (scripts, handlers, embedded HTML) or
    remote references stays an image.
    """
    count = 0

    def inline(m: re.Match[str]) -> str:
        nonlocal count
        try:
            svg = base64.b64decode(m.group(1)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return m.group(0)
        if _ACTIVE.search(svg):
            return m.group(0)
        count += 1
        pre = f"out{count}-"
        svg = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", svg)
        svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
        svg = re.sub(r'\bid="([^"]+)"', lambda k: f'id="{pre}{k.group(1)}"', svg)
        svg = re.sub(r"url\(#([^)]+)\)", lambda k: f"url(#{pre}{k.group(1)})", svg)
        return re.sub(r'href="#([^"]+)"', lambda k: f'href="#{pre}{k.group(1)}"', svg)

    return _SVG_IMG.sub(inline, html)


def export_html(
    executed: str | os.PathLike[str], html: str | os.PathLike[str], *, hide_code: bool = False
) -> Path:
    """Write an executed notebook as an HTML page that needs no network.

    nbconvert's template loads require.js and MathJax from a CDN; both are switched off
    (LaTeX then shows as source). Charts must be SVG/PNG outputs (:func:`setup`).
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    exporter = HTMLExporter(
        template_name="lab",
        mathjax_url="",
        require_js_url="",
        jquery_url="",
        mermaid_js_url="",
        mermaid_layout_elk_js_url="",
        exclude_input=hide_code,
        exclude_input_prompt=hide_code,
        exclude_output_prompt=hide_code,
    )
    body, _ = exporter.from_notebook_node(nb)
    body = _EMPTY_SCRIPT.sub("", _inline_svgs(body))
    html = Path(html)
    html.write_text(body, encoding="utf-8")
    return html
