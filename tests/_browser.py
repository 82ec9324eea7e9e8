"""Headless-Chromium helpers for tests of exported pages (reusable by the demo's test).

``ensure_chromium()`` finds Debian's chromium, installing it with apt-get when
missing and running as root, else skips. :func:`render` opens a page from disk with every
host name mapped to nowhere, dumps the DOM after the page's scripts ran and reads the
net-log for the URLs the page asked for; :func:`drawn_marks` counts drawn shapes in
Vega's ``<svg class="marks">``.

Use in a test module::

    @pytest.fixture(scope="session")
    def chromium() -> str:
        return ensure_chromium()
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing can resolve, so nothing can leave
    "--virtual-time-budget=3000",  # let the page's scripts (Vega) finish drawing
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "chrome-error:")


def _find_chromium() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )


def ensure_chromium() -> str:
    """Path to Debian's chromium, installing it with apt-get when missing and root.

    Skips the calling test (``pytest.skip``) when it is missing and cannot be installed.
    """
    found = _find_chromium()
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is missing; install it as root: apt-get install -y chromium")
    lock = Path(tempfile.gettempdir()) / "pipbench-chromium-install.lock"
    log = ""
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # xdist workers: one installs, the others wait
        if not _find_chromium():
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
                r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
                log += r.stdout[-300:] + r.stderr[-500:]
    found = _find_chromium()
    if not found:
        pytest.skip(f"chromium could not be installed with apt-get: {log[-400:]}")
    return found


@dataclass
class Rendered:
    dom: str
    page_requests: list[str]  # URLs the page asked for, other than local files


def _page_requests(netlog: Path) -> list[str]:
    """Non-local URLs requested by the page (not by the browser's own services).

    Browser-internal requests (updates, time sync) carry the initiator "not an origin";
    requests a file:// page makes carry its opaque origin "null" and a file:// network
    isolation key.
    """
    text = netlog.read_text()
    try:
        log = json.loads(text)
    except ValueError:  # a net-log cut short: close the events array
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    by_source: dict[int, dict[str, str]] = {}
    for ev in log.get("events", []):
        params = ev.get("params") or {}
        info = by_source.setdefault(ev["source"]["id"], {})
        for key in ("url", "initiator", "network_isolation_key"):
            if key in params and key not in info:
                info[key] = str(params[key])
    urls = []
    for info in by_source.values():
        url = info.get("url", "")
        from_page = info.get("initiator", "not an origin") != "not an origin" or info.get(
            "network_isolation_key", ""
        ).startswith("file://")
        if url and from_page and not url.startswith(LOCAL_SCHEMES):
            urls.append(url)
    return sorted(set(urls))


def render(chromium: str, page: Path, tmp: Path) -> Rendered:
    netlog = tmp / f"{page.stem}.netlog.json"
    profile = tmp / f"{page.stem}.profile"
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", f"--log-net-log={netlog}"]
    r = subprocess.run(
        [*cmd, "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=180
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return Rendered(dom=r.stdout, page_requests=_page_requests(netlog))


def drawn_marks(dom: str) -> int:
    """Number of drawn shapes inside Vega's ``<svg class="marks">`` elements."""
    total = 0
    for m in re.finditer(r'<svg[^>]*class="marks"[^>]*>(.*?)</svg>', dom, re.S):
        total += len(re.findall(r"<(?:path|rect|line|circle|text)\b", m.group(1)))
    return total
