"""The server-rendered pages (service/pages.py), driven with FastAPI's TestClient: each page
renders for its role and refuses the others, and the forms do what the API does."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

from fastapi.testclient import TestClient  # noqa: E402

from offduty_core import default_registry  # noqa: E402
from offduty_service.auth import a_role  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"vendor": "/vendor", "officer": "/officer", "coordinator": "/coordinator", "agency_admin": "/admin",
         "operator": "/operator"}


@pytest.fixture()
def svc(tmp_path):
    from offduty_service.app import create_app
    from offduty_service.auth import add_user
    from offduty_service.cli import open_store
    from offduty_service.store import Clock

    store = open_store(f"sqlite:///{tmp_path / 'pages.db'}", default_registry(),
                       Clock(manual=True, start=datetime(2027, 6, 1, 15, 0, tzinfo=timezone.utc)))
    with store.engine.begin() as conn:
        tokens = {
            "operator": add_user(conn, "op", "operator", None),
            "vendor": add_user(conn, "Desert Ridge Stadium", "vendor", "chandler-az", vendor="Desert Ridge Stadium"),
            "other_vendor": add_user(conn, "Mall", "vendor", "chandler-az", vendor="Chandler Mall"),
            "officer": add_user(conn, "117", "officer", "chandler-az", badge="117"),
            "officer121": add_user(conn, "121", "officer", "chandler-az", badge="121"),
            "coordinator": add_user(conn, "coord", "coordinator", "chandler-az"),
            "agency_admin": add_user(conn, "adm", "agency_admin", "chandler-az"),
            "auditor": add_user(conn, "aud", "auditor", "chandler-az"),
        }
    store.submit("roster", {"csv": (ROOT / "examples/roster-chandler.csv").read_text(), "source": "roster.csv"},
                 actor="test", role="operator")
    client = TestClient(create_app(store, poll_seconds=None))
    return client, tokens, store


def login(client: TestClient, token: str) -> TestClient:
    client.cookies.clear()
    r = client.post("/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "offduty_token=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    return client


def flash(html: str) -> str | None:
    m = re.search(r'<p class="flash (ok|error)"[^>]*>(.*?)</p>', html, re.S)
    return f"{m.group(1)}: {m.group(2).strip()}" if m else None


def submit_request(client: TestClient, officers: int = 1, start="2027-06-20T18:00", end="2027-06-20T23:00") -> str:
    r = client.post("/vendor/requests", data={"category": "special_event", "start": start, "end": end,
                                              "officers": str(officers), "site": "Gate <B>"})
    assert r.status_code == 200
    line = flash(r.text)
    assert line and line.startswith("ok: request R-"), line
    return re.search(r"request (R-\d+)", line).group(1)


def test_login_redirects_each_role_home(svc):
    client, tokens, _ = svc
    for role, page in PAGES.items():
        client.cookies.clear()
        r = client.post("/login", data={"token": tokens[role]}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == page
    client.cookies.clear()
    r = client.post("/login", data={"token": "odt_nope"})
    assert r.status_code == 401 and "this token is not valid" in r.text
    assert client.get("/login").status_code == 200


def test_each_page_renders_for_its_role_and_refuses_the_others(svc):
    client, tokens, _ = svc
    client.cookies.clear()
    for page in PAGES.values():
        r = client.get(page, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    allowed = {"/vendor": {"vendor"}, "/officer": {"officer"}, "/operator": {"operator"},
               "/coordinator": {"coordinator", "agency_admin", "operator"}, "/admin": {"agency_admin", "operator"}}
    for role in PAGES:
        login(client, tokens[role])
        for page, roles in allowed.items():
            r = client.get(page, follow_redirects=False)
            if role in roles:
                assert r.status_code == 200, (role, page, r.text[:300])
                assert 'name="viewport"' in r.text and "Traceback" not in r.text
                assert "(manual)" in r.text  # the header shows the clock
            else:
                assert r.status_code == 403, (role, page)
                assert f"{a_role(role)} may not open this page" in r.text
    login(client, tokens["auditor"])
    assert client.get("/auditor").status_code == 200
    assert client.get("/vendor", follow_redirects=False).status_code == 403
    r = client.post("/logout", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_vendor_form_submits_a_request_and_sees_only_its_own(svc):
    client, tokens, _ = svc
    login(client, tokens["vendor"])
    page = client.get("/vendor").text
    assert '<option value="special_event">' in page and "liquor_establishment" not in page  # prohibited
    rid = submit_request(client, officers=2)
    r = client.get("/vendor")
    assert rid in r.text and r.text.count('<span class="status s-open">open</span>') == 2
    api = client.get(f"/api/v1/requests/{rid}").json()  # the cookie works for the API too
    assert api["status"] == "posted" and len(api["slots"]) == 2
    # malformed and refused input: one line, no traceback
    r = client.post("/vendor/requests", data={"category": "special_event", "start": "tomorrow", "end": "x",
                                              "officers": "1"})
    line = flash(r.text)
    assert line and line.startswith("error: ") and "Traceback" not in r.text and "\n" not in line
    r = client.post("/vendor/requests", data={"category": "polygraph", "start": "2027-06-20T18:00",
                                              "end": "2027-06-20T20:00", "officers": "1"})
    assert flash(r.text).startswith("error: ") and "polygraph" in flash(r.text)
    # another vendor does not see it
    login(client, tokens["other_vendor"])
    assert rid not in client.get("/vendor").text


def test_escaping(svc):
    client, tokens, _ = svc
    login(client, tokens["vendor"])
    r = client.post("/vendor/requests", data={"category": "<script>alert(1)</script>", "start": "2027-06-20T18:00",
                                              "end": "2027-06-20T20:00", "officers": "1"})
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]


def test_officer_accepts_through_the_form_and_the_other_sees_why(svc):
    client, tokens, store = svc
    login(client, tokens["vendor"])
    rid = submit_request(client)
    login(client, tokens["officer"])
    page = client.get("/officer").text
    assert f"/officer/shifts/{rid}/0/accept" in page and "Accept" in page
    r = client.post(f"/officer/shifts/{rid}/0/accept")
    assert flash(r.text) == f"ok: {rid} slot 0: the shift is yours"
    assert f"/officer/shifts/{rid}/0/clock-in" in r.text and f"/officer/shifts/{rid}/0/drop" in r.text
    login(client, tokens["officer121"])
    r = client.post(f"/officer/shifts/{rid}/0/accept")
    assert flash(r.text) == f"error: {rid} slot 0 is filled (to badge 117)"
    # clock in and out through the forms
    login(client, tokens["officer"])
    store.advance({"to": "2027-06-21T00:55:00+00:00"}, actor="test")
    r = client.post(f"/officer/shifts/{rid}/0/clock-in")
    assert flash(r.text) == f"ok: {rid} slot 0: clocked in" and "clock-out" in r.text
    store.advance({"to": "2027-06-21T06:00:00+00:00"}, actor="test")
    r = client.post(f"/officer/shifts/{rid}/0/clock-out")
    assert flash(r.text) == f"ok: {rid} slot 0: clocked out"
    r = client.post(f"/officer/shifts/{rid}/0/clock-out")
    assert flash(r.text).startswith("error: ")


def test_officer_page_shows_why_a_shift_is_not_offered(svc):
    client, tokens, _ = svc
    login(client, tokens["vendor"])
    # an 18-hour job is over the daily cap for everyone: the page says why
    submit_request(client, start="2027-06-20T10:00", end="2027-06-21T08:00")
    login(client, tokens["officer121"])
    page = client.get("/officer").text
    section = page.split("Not offered to you")[1]
    assert 'class="reason"' in section


def test_coordinator_assigns_with_a_reason_and_without_one_gets_one_line(svc):
    client, tokens, _ = svc
    login(client, tokens["vendor"])
    rid = submit_request(client, officers=2, start="2027-06-25T18:00", end="2027-06-25T22:00")
    submit_request(client, officers=1, start="2027-06-22T18:00", end="2027-06-22T22:00")
    login(client, tokens["coordinator"])
    page = client.get("/coordinator").text
    rows = re.findall(r'<tr id="open-(R-\d+)-(\d+)">', page)
    assert rows[0][0] != rid and len(rows) == 3  # the soonest first
    r = client.post("/coordinator/assign", data={"request_id": rid, "slot": "0", "badge": "121", "reason": ""})
    assert flash(r.text) == "error: reason: a manual assignment needs a reason"
    r = client.post("/coordinator/assign", data={"request_id": rid, "slot": "0", "badge": "121",
                                                 "reason": "vendor asked for him"})
    assert flash(r.text) == f"ok: {rid} slot 0 assigned to badge 121"
    assert f'id="open-{rid}-0"' not in r.text
    login(client, tokens["vendor"])
    assert client.get(f"/api/v1/requests/{rid}").json()["slots"][0]["officer"] == "121"


def test_admin_reports_and_operator_clock(svc):
    client, tokens, _ = svc
    login(client, tokens["vendor"])
    rid = submit_request(client, officers=2)
    login(client, tokens["officer"])
    client.post(f"/officer/shifts/{rid}/0/accept")
    login(client, tokens["agency_admin"])
    page = client.get("/admin").text
    assert re.search(r"Slots filled</th><td class=\"num\">1<", page)
    assert re.search(r"Slots open</th><td class=\"num\">1<", page) and "50 %" in page
    assert "<td>117</td>" in page and "/api/v1/payroll.csv?week=" in page
    login(client, tokens["operator"])
    r = client.post("/operator/clock", data={"hours": "nope"})
    assert flash(r.text).startswith("error: hours")
    r = client.post("/operator/clock", data={"to": "2027-07-01T00:00:00+00:00"})
    assert flash(r.text).startswith("ok: the clock is now 2027-07-01T00:00:00+00:00")
    r = client.post("/operator/clock", data={"to": "2027-06-01T00:00:00+00:00"})
    assert flash(r.text).startswith("error: ") and "only moves forward" in flash(r.text)
    login(client, tokens["vendor"])
    page = client.get("/vendor").text
    assert f"Invoice for {rid}" in page and "× 83.28" in page and "= 416.40" in page


def test_static_files(svc):
    client, _, _ = svc
    assert "fetch(" in client.get("/static/app.js").text
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/..%2Fpages.py").status_code == 404


def test_a_vendors_own_reference_is_kept_and_shown_not_used_as_the_id(svc):
    client, tokens, store = svc
    login(client, tokens["vendor"])
    r = client.post("/vendor/requests", data={"category": "special_event", "start": "2027-06-20T18:00",
                                               "end": "2027-06-20T23:00", "officers": "1",
                                               "reference": "PO <4471>"}, follow_redirects=True)
    assert r.status_code == 200
    (view,) = client.get("/api/v1/requests", headers={"Authorization": f"Bearer {tokens['vendor']}"}).json()
    assert view["reference"] == "PO <4471>" and view["id"].startswith("R-")
    assert "(your reference PO &lt;4471&gt;)" in client.get("/vendor").text


def test_the_vendor_sees_a_waiver_and_the_balance_under_the_invoice(svc):
    client, tokens, store = svc
    auth = lambda who: {"Authorization": f"Bearer {tokens[who]}"}  # noqa: E731
    made = client.post("/api/v1/requests", headers=auth("vendor"),
                       json={"category": "special_event", "start": "2027-06-02T18:00", "end": "2027-06-02T23:00"})
    rid = made.json()["id"]
    assert client.post(f"/api/v1/requests/{rid}/slots/0/accept", headers=auth("officer")).status_code == 200
    assert client.post("/api/v1/clock/advance", headers=auth("operator"), json={"hours": 64}).status_code == 200
    r = client.post(f"/api/v1/requests/{rid}/waive", headers=auth("agency_admin"),
                    json={"amount": "30.00", "reason": "officer <late>"})
    assert r.status_code == 200
    page = login(client, tokens["vendor"]).get("/vendor").text
    assert "Waived by adm: officer &lt;late&gt;" in page and "− 30.00" in page
    (invoice,) = client.get("/api/v1/invoices", headers=auth("vendor")).json()
    assert f'<th class="num">{invoice["balance"]}</th>' in page
