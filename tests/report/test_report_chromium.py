"""The report in a real browser: headless Chromium shows the tables and decodes every image.

Chromium loads a copy of the report with a probe script appended (the report itself
has none) that writes, once the page has loaded, what the browser made of it:
each image's decoded size, the tables, and every resource the page fetched (there
must be none: the report is self-contained). Without Chromium the test skips
locally, but fails when ``CI=true``: ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hadrsim.report import render_report

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=5000")
PROBE = """<script>
window.addEventListener("load", () => {
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({
    images: [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight,
                                           i.width > 0 && i.height > 0]),
    tables: document.querySelectorAll("table").length,
    compareRows: document.querySelectorAll("table.compare tbody tr").length,
    title: document.title,
    fetched: performance.getEntriesByType("resource").map(e => e.name),
  });
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is not installed: .ci/run must install it")
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does)")
    return path


def _chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    try:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("chromium did not finish within 90 s")


def test_chromium_renders_tables_and_decodes_every_image(chromium, report_study,
                                                         report_results, tmp_path, check_png):
    """Every <img> decodes to its declared size, all tables render, nothing is fetched."""
    html = render_report(report_study, report_results)
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", PROBE + "</body>"), encoding="ascii")
    proc = _chromium(chromium, tmp_path, "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"no probe output; chromium said: {proc.stderr[-2000:]}"
    probe = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))

    declared = [(int(w), int(h)) for w, h in
                re.findall(r'<img [^>]*width="(\d+)" height="(\d+)"', html)]
    assert len(probe["images"]) == len(declared) == 7
    for (complete, width, height, shown), size in zip(probe["images"], declared, strict=True):
        assert complete and shown
        assert (width, height) == size
    # compare, per-scenario figures, per design x scenario metrics, paired, ...: every one renders
    assert probe["tables"] == html.count("<table") == 13
    assert probe["compareRows"] == 2
    assert probe["title"] == "hadrsim report: report-tiny"
    assert probe["fetched"] == []

    shot = tmp_path / "shot.png"
    _chromium(chromium, tmp_path, "--window-size=1200,1600", f"--screenshot={shot}",
              page.as_uri())
    check_png(shot.read_bytes())
