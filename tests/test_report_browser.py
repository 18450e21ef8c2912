"""report.html opened in a real browser: headless Chromium (Debian's ``chromium`` package)
loads the page, every chart decodes, and a screenshot shows them drawn."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from offduty_simulations.calibrate import dumps_toml
from sim_helpers import ROOT, small

pytest.importorskip("matplotlib")
pytest.importorskip("xlsxwriter")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

#: Appended to a copy of the page (the report itself has no script): after load, count the
#: images the browser decoded (``complete`` with a natural width) onto the body.
PROBE = """<script>window.addEventListener("load", () => {
  const imgs = [...document.images];
  document.body.dataset.images = imgs.length;
  document.body.dataset.decoded = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.widths = imgs.map(i => i.naturalWidth).join(",");
});</script>"""


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    # --no-sandbox: Chromium refuses to start as root with its sandbox (CI containers).
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    scenario = folder / "small.toml"
    scenario.write_text(dumps_toml(small(days=21, officers=20)))
    run = lambda *a: subprocess.run([sys.executable, "-m", "offduty_core.cli", *a], capture_output=True, text=True,
                                    cwd=ROOT)
    result = run("simulate", "--scenario", str(scenario), "--seed", "7", "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    result = run("report", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    return folder / "out" / "report.html"


def test_every_chart_decodes_in_chromium(page, tmp_path):
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    result = chromium(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    body = re.search(r"<body([^>]*)>", result.stdout)
    assert body is not None, result.stderr[-2000:]
    found = dict(re.findall(r'data-(\w+)="([^"]*)"', body.group(1)))
    assert int(found["images"]) == 8
    assert found["decoded"] == found["images"], found
    assert all(int(w) > 300 for w in found["widths"].split(","))


def test_a_screenshot_shows_the_charts_drawn(page, tmp_path):
    import numpy as np
    from PIL import Image

    shot = tmp_path / "shot.png"
    result = chromium(tmp_path, "--window-size=1100,5000", f"--screenshot={shot}", page.as_uri())
    assert shot.exists(), result.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1100, 5000)
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
    # The charts' bars (#2b6cb0 and #2f855a) are drawn, over a good part of the page, not a blank
    # or a page of broken-image icons.
    near = lambda colour: int((np.abs(pixels - np.array(colour)).max(axis=1) < 12).sum())
    bars, greens = near((0x2B, 0x6C, 0xB0)), near((0x2F, 0x85, 0x5A))
    assert bars > 50_000 and greens > 1_000, (bars, greens)
    assert len(np.unique(pixels[::7], axis=0)) > 200  # text, axes, heat map shades: not a flat page
