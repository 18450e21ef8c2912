"""The pages in a real browser: headless Chromium (Debian's ``chromium`` package) driven by
Playwright, against a real ``offduty serve`` with a manual clock.

A vendor logs in and submits a request through the form; two officers race for the same
first-come shift (exactly one wins, the other sees why); the winner clocks in and out; the
operator moves the clock past settlement; the vendor sees the invoice.  The screenshots go
to the test's tmp dir; with ``OFFDUTY_DOCS_SCREENSHOTS=1`` also to docs/images/service-*.png
(a test run leaves the checkout as it found it).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra has it
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install playwright)"),
]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
OFFDUTY = [sys.executable, "-m", "offduty_core.cli"] if not (Path(sys.executable).parent / "offduty").exists() \
    else [str(Path(sys.executable).parent / "offduty")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def offduty(*args: str) -> str:
    done = subprocess.run([*OFFDUTY, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture()
def server(tmp_path):
    db = f"sqlite:///{tmp_path / 'live.db'}"
    tokens = {
        "operator": offduty("service", "add-user", "--db", db, "--role", "operator", "--name", "Ops desk"),
        "vendor": offduty("service", "add-user", "--db", db, "--role", "vendor", "--agency", "chandler-az",
                          "--vendor", "Desert Ridge Stadium"),
        "117": offduty("service", "add-user", "--db", db, "--role", "officer", "--agency", "chandler-az",
                       "--badge", "117"),
        "121": offduty("service", "add-user", "--db", db, "--role", "officer", "--agency", "chandler-az",
                       "--badge", "121"),
        "coordinator": offduty("service", "add-user", "--db", db, "--role", "coordinator", "--agency",
                               "chandler-az", "--name", "Sgt. Ortiz"),
        "admin": offduty("service", "add-user", "--db", db, "--role", "agency_admin", "--agency", "chandler-az",
                         "--name", "Lt. Reyes"),
    }
    offduty("service", "import-roster", "--db", db, "examples/roster-chandler.csv")
    port = free_port()
    proc = subprocess.Popen([*OFFDUTY, "serve", "--db", db, "--clock", "manual", "--start",
                             "2027-06-01T08:00:00-07:00", "--port", str(port), "--poll", "0.5",
                             "--outbox", str(tmp_path / "outbox.log")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/login", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"offduty serve exited: {proc.stdout.read()}")
                time.sleep(0.1)
        else:
            pytest.fail("offduty serve did not answer")
        yield base, tokens
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def login(browser, base: str, token: str, **context):
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def shot(page, tmp_path: Path, name: str, docs: bool = False) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if docs and os.environ.get("OFFDUTY_DOCS_SCREENSHOTS") == "1":
        out = ROOT / "docs" / "images" / f"service-{name}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)


def flash(page) -> str:
    page.wait_for_selector("#main .flash")
    return page.inner_text("#main .flash").strip()


def advance(page, to: str) -> None:
    page.goto(page.url.split("/operator")[0] + "/operator")
    page.fill("input[name=to]", to)
    page.click("#clock-form button")
    page.locator("#main .flash", has_text=to).wait_for()
    assert flash(page).startswith(f"the clock is now {to}")


def test_vendor_officers_and_operator_in_a_browser(server, tmp_path):
    base, tokens = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            # the vendor submits two requests through the form
            vendor = login(browser, base, tokens["vendor"], viewport={"width": 1000, "height": 800})
            assert vendor.url.endswith("/vendor")
            assert "Desert Ridge Stadium" in vendor.inner_text("header")
            for start, end, n in (("2027-06-20T17:00", "2027-06-20T22:00", "1"),
                                  ("2027-06-27T17:00", "2027-06-27T22:00", "2")):
                vendor.select_option("select[name=category]", "special_event")
                vendor.fill("input[name=start]", start)
                vendor.fill("input[name=end]", end)
                vendor.fill("input[name=officers]", n)
                vendor.fill("input[name=site]", "Gate 3")
                vendor.click("#request-form button")
                vendor.locator("#main .flash").wait_for()
                vendor.locator("article.request").nth(0 if n == "1" else 1).wait_for()
                assert re.fullmatch(r"request R-\d+ is posted", flash(vendor)), flash(vendor)
            rid = "R-000001"
            assert vendor.locator(f"#req-{rid} .status.s-open").count() == 1

            # two officers on phones race for the same first-come shift
            phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True,
                     "has_touch": True}
            a = login(browser, base, tokens["117"], **phone)
            b = login(browser, base, tokens["121"], **phone)
            button = f"#open-{rid}-0 button"
            a.wait_for_selector(button)
            b.wait_for_selector(button)
            a.click(button, no_wait_after=True)
            b.click(button, no_wait_after=True)
            lines = {"117": flash(a), "121": flash(b)}
            won = [badge for badge, line in lines.items() if line.endswith("the shift is yours")]
            assert len(won) == 1, lines
            winner, loser = (a, b) if won == ["117"] else (b, a)
            other = "121" if won == ["117"] else "117"
            assert lines[other] == f"{rid} slot 0 is filled (to badge {won[0]})", lines
            assert loser.locator("#main .flash.error").count() == 1

            # the winner clocks in and out while the operator moves the clock
            operator = login(browser, base, tokens["operator"], viewport={"width": 1000, "height": 700})
            assert operator.url.endswith("/operator")
            advance(operator, "2027-06-20T23:58:00+00:00")
            winner.goto(f"{base}/officer")
            winner.click(f"#mine-{rid}-0 button:has-text('Clock in')")
            winner.wait_for_selector(f"#mine-{rid}-0 button:has-text('Clock out')")
            assert flash(winner) == f"{rid} slot 0: clocked in"
            shot(winner, tmp_path, "officer", docs=True)
            advance(operator, "2027-06-21T05:02:00+00:00")
            winner.goto(f"{base}/officer")
            winner.click(f"#mine-{rid}-0 button:has-text('Clock out')")
            winner.locator("#main .flash", has_text="clocked out").wait_for()

            # the coordinator's board and the admin's reports, before settlement
            coordinator = login(browser, base, tokens["coordinator"], viewport={"width": 1100, "height": 600})
            assert coordinator.url.endswith("/coordinator")
            assert coordinator.locator("tr[id^=open-R-000002]").count() == 2
            shot(coordinator, tmp_path, "coordinator", docs=True)
            admin = login(browser, base, tokens["admin"], viewport={"width": 1000, "height": 700})
            assert admin.url.endswith("/admin")
            assert "Fill rate" in admin.inner_text("#fill")
            shot(admin, tmp_path, "admin", docs=True)

            # past settlement: the vendor sees the invoice with its lines and total
            advance(operator, "2027-06-22T07:00:00+00:00")
            vendor.goto(f"{base}/vendor")
            invoice = vendor.locator(f"#inv-{rid}")
            invoice.wait_for()
            assert invoice.locator("tr.line").count() >= 1
            total = invoice.locator(".total").inner_text().strip()
            assert re.fullmatch(r"\d+\.\d\d", total) and float(total) > 0, total
            assert "×" in invoice.inner_text()
            shot(vendor, tmp_path, "vendor", docs=True)
        finally:
            browser.close()
