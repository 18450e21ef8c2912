"""The live service's JSON API (``/api/v1``), on SQLite and on PostgreSQL: every operation for
the roles allowed it and refused to the others; the money a settled job makes is exactly
``offduty bill`` of its story and the week's payroll pays it; an idempotency key answers a
retry without a second input; and two processes racing for one first-come slot award it once.

The program (``live`` in ``tests/service_support.py``): Chandler's roster, a manual clock at
Tuesday 2027-06-01 08:00 local, a user for every role.  On Sunday 2027-06-20 18:00-23:00 badges
117, 119, 124, 126 and 127 are free; 121 is refused (rest before its 06:00 duty), 122 is not
approved.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.service_support import OTHER_VENDOR, VENDOR, Live, bearer, live  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]
OFFDUTY = str(Path(sys.executable).with_name("offduty"))

ROLES = ("operator", "agency_admin", "coordinator", "auditor", "vendor", "officer")


def one_line_error(r) -> str:
    body = r.json()
    assert set(body) >= {"error"} and isinstance(body["error"], str) and "\n" not in body["error"], body
    return body["error"]


def inputs_count(lv: Live) -> int:
    with lv.store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM inputs")).scalar_one()


# --- who may ask ------------------------------------------------------------------------------


def test_no_token_or_a_bad_token_is_401(live):
    for path in ("/api/v1/requests", "/api/v1/shifts/open", "/api/v1/invoices", "/api/v1/audit"):
        r = live.client.get(path)
        assert r.status_code == 401 and "token" in one_line_error(r)
        r = live.client.get(path, headers=bearer("odt_not-a-token"))
        assert r.status_code == 401 and "not valid" in one_line_error(r)
    r = live.client.post("/api/v1/requests", json={}, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert inputs_count(live) == 1  # the roster only


# --- vendors' requests ---------------------------------------------------------------------------


def test_a_vendor_submits_a_request_and_gets_its_slots(live):
    r = live.post("/requests", "vendor", {"category": "special_event", "start": "2027-06-20T18:00",
                                          "end": "2027-06-20T23:00", "positions": {"officer": 2}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == "R-000001" and body["status"] == "posted" and body["vendor"] == VENDOR
    assert [{k: s[k] for k in ("slot", "status", "officer")} for s in body["slots"]] == [
        {"slot": 0, "status": "open", "officer": None}, {"slot": 1, "status": "open", "officer": None}]
    assert live.get("/requests/R-000001", "vendor").json() == body


def test_an_operator_submits_for_a_named_agency(live):
    r = live.post("/requests", "operator", {"agency": "chandler-az", "vendor": OTHER_VENDOR, "category": "special_event",
                                            "start": "2027-06-20T18:00", "end": "2027-06-20T23:00",
                                            "positions": {"officer": 1}})
    assert r.status_code == 201 and r.json()["vendor"] == OTHER_VENDOR
    r = live.post("/requests", "operator", {"category": "special_event", "start": "2027-06-20T18:00",
                                            "end": "2027-06-20T23:00", "positions": {"officer": 1}})
    assert r.status_code == 422 and "agency" in one_line_error(r)


@pytest.mark.parametrize("who", ["agency_admin", "coordinator", "auditor", "officer"])
def test_only_vendors_and_operators_submit(live, who):
    r = live.post("/requests", who, {"category": "special_event", "start": "2027-06-20T18:00",
                                     "end": "2027-06-20T23:00", "positions": {"officer": 1}})
    assert r.status_code == 403 and who in one_line_error(r)
    assert inputs_count(live) == 1


def test_a_request_the_rules_refuse_is_422_in_one_line(live):
    # Grantsville refuses less than 24 h notice (the clock is 08:00 Chandler = 09:00 Grantsville).
    r = live.post("/requests", "vendor:grantsville", {"category": "traffic_control", "start": "2027-06-01T18:00",
                                                      "end": "2027-06-01T22:00", "positions": {"officer": 1}})
    assert r.status_code == 422 and "24 h notice" in one_line_error(r)
    # Chandler prohibits civil process.
    r = live.post("/requests", "vendor", {"category": "civil_process", "start": "2027-06-20T18:00",
                                          "end": "2027-06-20T22:00", "positions": {"officer": 1}})
    assert r.status_code == 422 and "prohibited" in one_line_error(r)
    assert live.get(f"/requests/{r.json()['id']}", "vendor").json()["status"] == "refused"
    # Malformed input is 422 too, and is not logged.
    before = inputs_count(live)
    r = live.post("/requests", "vendor", {"category": "special_event", "start": "tomorrow", "end": "2027-06-20T22:00",
                                          "positions": {"officer": 1}})
    assert r.status_code == 422 and "start" in one_line_error(r)
    r = live.post("/requests", "vendor", {"vendor": OTHER_VENDOR, "category": "special_event",
                                          "start": "2027-06-20T18:00", "end": "2027-06-20T22:00",
                                          "positions": {"officer": 1}})
    assert r.status_code == 422 and "is not you" in one_line_error(r)
    assert inputs_count(live) == before


def test_who_sees_a_request(live):
    rid = live.request()["id"]
    for who in ("vendor", "operator", "agency_admin", "coordinator", "auditor"):
        assert live.get(f"/requests/{rid}", who).status_code == 200, who
    for who in ("vendor2", "vendor:grantsville", "officer:117"):  # 117 is not on it (yet)
        r = live.get(f"/requests/{rid}", who)
        assert r.status_code == 404 and rid in one_line_error(r), who
    assert live.get("/requests/R-999999", "operator").status_code == 404
    live.advance(1)
    assert live.accept(rid, 0, "117").json() == {"status": "awarded"}
    assert live.get(f"/requests/{rid}", "officer:117").json()["slots"][0]["officer"] == "117"
    assert live.get(f"/requests/{rid}", "officer:119").status_code == 404
    assert [v["id"] for v in live.get("/requests", "vendor2").json()] == []
    assert [v["id"] for v in live.get("/requests", "vendor").json()] == [rid]


# --- officers ------------------------------------------------------------------------------------


def test_open_shifts_accept_first_come(live):
    rid = live.request(positions={"officer": 2})["id"]
    shifts = live.get("/shifts/open", "officer:117").json()
    assert [(s["request_id"], s["slot"], s["action"]) for s in shifts] == [(rid, 0, "accept"), (rid, 1, "accept")]
    assert live.get("/shifts/open", "officer:121").json() == []  # not eligible: rest before duty
    for who in ("vendor", "coordinator", "operator"):
        assert live.get("/shifts/open", who).status_code == 403
        assert live.post(f"/requests/{rid}/slots/0/accept", who).status_code == 403

    assert live.accept(rid, 0, "117").json() == {"status": "awarded"}
    r = live.accept(rid, 0, "119")
    assert r.status_code == 409 and "filled" in one_line_error(r)
    r = live.accept(rid, 1, "121")
    assert r.status_code == 409 and "rest" in one_line_error(r)
    r = live.accept(rid, 1, "122")
    assert r.status_code == 409 and "not approved" in one_line_error(r)
    r = live.accept(rid, 7, "119")
    assert r.status_code == 404
    assert live.accept(rid, 1, "119").status_code == 200
    assert live.get("/shifts/open", "officer:124").json() == []
    slots = live.get(f"/requests/{rid}", "vendor").json()["slots"]
    assert [(s["status"], s["officer"]) for s in slots] == [("filled", "117"), ("filled", "119")]
    mine = live.get("/shifts/mine", "officer:117").json()
    assert [(m["request_id"], m["slot"], m["status"]) for m in mine] == [(rid, 0, "filled")]


def test_drop_is_the_holders_only(live):
    rid = live.request()["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    r = live.post(f"/requests/{rid}/slots/0/drop", "officer:119")
    assert r.status_code == 409 and "not yours" in one_line_error(r)
    assert live.post(f"/requests/{rid}/slots/0/drop", "vendor").status_code == 403
    r = live.post(f"/requests/{rid}/slots/0/drop", "officer:117")
    assert r.status_code == 200 and r.json() == {"status": "dropped"}
    slot = live.get(f"/requests/{rid}", "vendor").json()["slots"][0]
    assert slot["officer"] is None and slot["status"] == "open"
    assert live.accept(rid, 0, "119").json() == {"status": "awarded"}  # reposted: another takes it


def test_clock_in_and_out_only_on_ones_own_shift(live):
    rid = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00")["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    path = f"/requests/{rid}/slots/0"
    r = live.post(f"{path}/clock-in", "officer:119")
    assert r.status_code == 409 and "not yours" in one_line_error(r)
    r = live.post(f"{path}/clock-out", "officer:117")
    assert r.status_code == 409 and "not clocked in" in one_line_error(r)
    assert live.post(f"{path}/clock-in", "vendor").status_code == 403
    live.advance(34)  # 2027-06-02 18:00 local
    assert live.post(f"{path}/clock-in", "officer:117", {"device_time": "18:00"}).json() == {"status": "clocked_in"}
    r = live.post(f"{path}/clock-in", "officer:117")
    assert r.status_code == 409 and "already" in one_line_error(r)
    live.advance(4)
    r = live.post(f"{path}/clock-out", "officer:119")
    assert r.status_code == 409 and "not yours" in one_line_error(r)
    assert live.post(f"{path}/clock-out", "officer:117").json() == {"status": "clocked_out"}
    live.advance(25)
    story = live.get("/invoices", "vendor").json()[0]["story"]
    assert story["events"][-1] == {"type": "clock", "slot": 0, "in": "2027-06-02T18:00:00-07:00",
                                   "out": "2027-06-02T22:00:00-07:00"}


# --- vendors' changes ----------------------------------------------------------------------------


def test_cancel_is_the_owners_and_follows_the_agencys_channels(live):
    rid = live.request()["id"]
    assert live.post(f"/requests/{rid}/cancel", "vendor2").status_code == 404
    assert live.post(f"/requests/{rid}/cancel", "officer").status_code == 403
    assert live.post(f"/requests/{rid}/cancel", "auditor").status_code == 403
    r = live.post(f"/requests/{rid}/cancel", "vendor")
    assert r.status_code == 200 and [s["status"] for s in r.json()["slots"]] == ["cancelled"]
    # Lynnwood takes cancellations only in writing.
    r = live.post("/requests", "vendor:lynnwood", {"category": "traffic_control", "start": "2027-06-20T18:00",
                                                   "end": "2027-06-20T22:00", "positions": {"officer": 1}})
    lid = r.json()["id"]
    r = live.post(f"/requests/{lid}/cancel", "vendor:lynnwood", {"channel": "phone"})
    assert r.status_code == 409 and "in writing" in one_line_error(r)
    assert live.get(f"/requests/{lid}", "vendor:lynnwood").json()["slots"][0]["status"] == "open"
    r = live.post(f"/requests/{lid}/cancel", "vendor:lynnwood", {"channel": "email"})
    assert r.status_code == 200 and r.json()["slots"][0]["status"] == "cancelled"


def test_change_start_moves_the_shift(live):
    rid = live.request()["id"]
    r = live.post(f"/requests/{rid}/change-start", "vendor", {"start": "2027-06-20T19:00"})
    assert r.status_code == 422 and "end" in one_line_error(r)
    assert live.post(f"/requests/{rid}/change-start", "vendor2",
                     {"start": "2027-06-20T19:00", "end": "2027-06-21T00:00"}).status_code == 404
    assert live.post(f"/requests/{rid}/change-start", "officer",
                     {"start": "2027-06-20T19:00", "end": "2027-06-21T00:00"}).status_code == 403
    r = live.post(f"/requests/{rid}/change-start", "vendor", {"start": "2027-06-20T19:00", "end": "2027-06-21T00:00"})
    assert r.status_code == 200, r.text
    assert (r.json()["slots"][0]["start"], r.json()["slots"][0]["end"]) == ("2027-06-20T19:00:00-07:00",
                                                                            "2027-06-21T00:00:00-07:00")


# --- staff -----------------------------------------------------------------------------------------


def test_assign_needs_a_coordinator_and_a_reason(live):
    rid = live.request(positions={"officer": 2})["id"]
    path = f"/requests/{rid}/slots/0/assign"
    r = live.post(path, "coordinator", {"badge": "119"})
    assert r.status_code == 422 and "reason" in one_line_error(r)
    r = live.post(path, "coordinator", {"badge": "119", "reason": "   "})
    assert r.status_code == 422
    for who in ("vendor", "officer", "auditor"):
        assert live.post(path, who, {"badge": "119", "reason": "x"}).status_code == 403, who
    r = live.post(path, "coordinator", {"badge": "122", "reason": "asked for him"})
    assert r.status_code == 409 and "not approved" in one_line_error(r)
    r = live.post(path, "coordinator", {"badge": "119", "reason": "knows the venue"})
    assert r.status_code == 200 and r.json() == {"status": "awarded", "badge": "119"}
    audit = live.get("/audit", "auditor").json()
    assert audit[-1]["kind"] == "assign" and audit[-1]["actor"] == "coord"
    assert audit[-1]["payload"]["reason"] == "knows the venue"
    r = live.post(path, "coordinator", {"badge": "124", "reason": "again"})
    assert r.status_code == 422 and "only an open shift" in one_line_error(r)


def test_invoices_are_scoped(live):
    mine = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00")["id"]
    theirs = live.request("vendor2", start="2027-06-02T18:00", end="2027-06-02T22:00")["id"]
    assert live.post(f"/requests/{mine}/cancel", "vendor").status_code == 200
    assert live.post(f"/requests/{theirs}/cancel", "vendor2").status_code == 200
    live.advance(1)
    assert [i["request_id"] for i in live.get("/invoices", "vendor").json()] == [mine]
    assert [i["request_id"] for i in live.get("/invoices", "vendor2").json()] == [theirs]
    assert live.get("/invoices", "vendor:grantsville").json() == []
    for who in ("auditor", "agency_admin", "operator"):
        assert sorted(i["request_id"] for i in live.get("/invoices", who).json()) == sorted([mine, theirs]), who
    for who in ("officer", "coordinator"):  # staff who coordinate see no finances
        assert live.get("/invoices", who).status_code == 403


def test_payroll_csv_is_for_admins_and_operators(live):
    for who in ("coordinator", "auditor", "vendor", "officer"):
        assert live.get("/payroll.csv?week=2027-05-31", who).status_code == 403, who
    r = live.get("/payroll.csv?week=2027-05-31", "agency_admin")
    assert r.status_code == 200 and r.text == "agency,week_start,week_end,pay_date,badge,amount\n"
    assert r.headers["content-type"].startswith("text/csv")
    assert live.get("/payroll.csv?week=2027-05-31&agency=chandler-az", "operator").status_code == 200
    assert live.get("/payroll.csv?week=2027-05-31", "operator").status_code == 422  # names no agency
    assert live.get("/payroll.csv?week=June", "agency_admin").status_code == 422
    assert live.get("/payroll.csv?week=2027-06-01", "agency_admin").status_code == 422  # a Tuesday


def test_audit_is_for_auditors_and_operators(live):
    live.request()
    for who in ("agency_admin", "coordinator", "vendor", "officer"):
        r = live.get("/audit", who)
        assert r.status_code == 403 and who in one_line_error(r)
    operator = live.get("/audit", "operator").json()
    assert [(a["seq"], a["kind"]) for a in operator] == [(1, "roster"), (2, "submit")]
    assert [a["seq"] for a in live.get("/audit", "auditor").json()] == [2]  # its agency's
    assert live.get("/audit?after=1", "operator").json() == operator[1:]


def test_the_clock_moves_for_operators_only_and_only_when_manual(live):
    for who in ("agency_admin", "coordinator", "auditor", "vendor", "officer"):
        assert live.post("/clock/advance", who, {"hours": 1}).status_code == 403, who
    assert live.advance(2)["now"] == "2027-06-01T17:00:00+00:00"
    assert live.get("/clock", "vendor").json() == {"now": "2027-06-01T17:00:00+00:00", "manual": True}
    assert live.post("/clock/advance", "operator", {"hours": -1}).status_code == 422
    assert live.post("/clock/advance", "operator", {"hours": "1"}).status_code == 422
    assert live.post("/clock/advance", "operator", {"to": "2027-06-03T00:00:00+00:00"}).json()["now"] == \
        "2027-06-03T00:00:00+00:00"

    from fastapi.testclient import TestClient

    from offduty_core import default_registry
    from offduty_service.app import create_app
    from offduty_service.store import Clock, Store

    system = Store(live.store.engine, default_registry(), Clock(manual=False))
    with TestClient(create_app(system, poll_seconds=None)) as client:
        r = client.post("/api/v1/clock/advance", json={"hours": 1}, headers=live.h("operator"))
        assert r.status_code == 409 and "manual" in one_line_error(r)


# --- money --------------------------------------------------------------------------------------


def _officer_pay_by_week(bill: dict, week_start: int) -> dict[tuple[date, str], Decimal]:
    from offduty_core.payroll import week_of

    out: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for tx in bill["ledger"]:
        for p in tx["postings"]:
            if p["account"].startswith("liabilities:payable:officer:"):
                badge = p["account"].rsplit(":", 1)[1]
                out[(week_of(date.fromisoformat(tx["date"]), week_start), badge)] -= Decimal(p["amount"])
    return out


def test_each_invoice_is_offduty_bill_of_its_story_and_payroll_pays_it(live, tmp_path):
    worked = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00", positions={"officer": 2}, vehicle=True)
    inside = live.request("vendor2", start="2027-06-02T17:00", end="2027-06-02T23:00")
    short = live.request(start="2027-06-03T18:00", end="2027-06-03T20:00")
    outside = live.request(start="2027-06-20T18:00", end="2027-06-20T23:00")
    assert live.accept(worked["id"], 0, "117").status_code == 200
    assert live.accept(worked["id"], 1, "124").status_code == 200
    assert live.accept(inside["id"], 0, "126").status_code == 200
    assert live.accept(short["id"], 0, "127").status_code == 200
    assert live.post(f"/requests/{outside['id']}/cancel", "vendor").status_code == 200
    live.advance(32)  # 2027-06-02 16:00 local: inside 24 h of the 17:00 start
    assert live.post(f"/requests/{inside['id']}/cancel", "vendor2").status_code == 200
    live.advance(2)  # 18:00
    for slot, badge in ((0, "117"), (1, "124")):
        assert live.post(f"/requests/{worked['id']}/slots/{slot}/clock-in", f"officer:{badge}").status_code == 200
    live.advance(4.5)  # 22:30: half an hour over
    for slot, badge in ((0, "117"), (1, "124")):
        assert live.post(f"/requests/{worked['id']}/slots/{slot}/clock-out", f"officer:{badge}").status_code == 200
    live.advance(19.5)  # 2027-06-03 18:00
    assert live.post(f"/requests/{short['id']}/slots/0/clock-in", "officer:127").status_code == 200
    live.advance(1)  # released after an hour: Chandler's 2-hour minimum applies
    assert live.post(f"/requests/{short['id']}/slots/0/clock-out", "officer:127").status_code == 200
    live.advance(24.5)  # 2027-06-04 19:30: not yet 24 h after the 20:00 end
    assert live.get(f"/requests/{short['id']}", "vendor").json()["status"] == "posted"
    live.advance(1)

    invoices = live.get("/invoices", "operator").json()
    assert sorted(i["request_id"] for i in invoices) == sorted(v["id"] for v in (worked, inside, short, outside))
    from offduty_core import default_registry
    from offduty_core.cli_bill import bill_story

    registry = default_registry()
    files = []
    for i, inv in enumerate(invoices):
        assert live.get(f"/requests/{inv['request_id']}", "operator").json()["status"] == "settled"
        assert bill_story(json.dumps(inv["story"]), "story.json", registry) == inv["bill"]
        assert (inv["vendor_total"], inv["officer_pay_total"]) == (inv["bill"]["vendor_total"],
                                                                   inv["bill"]["officer_pay_total"])
        files.append(tmp_path / f"story{i}.json")
        files[-1].write_text(json.dumps(inv["story"]))
    by_id = {i["request_id"]: i["bill"] for i in invoices}
    assert Decimal(by_id[worked["id"]]["officer_pay_total"]) > 0
    assert Decimal(by_id[inside["id"]]["vendor_total"]) > 0  # the inside-24-h charge
    assert by_id[outside["id"]]["vendor_total"] == "0.00"
    assert [(l["party"], l["hours"]) for l in by_id[short["id"]]["lines"] if l["party"] == "officer"] == \
        [("officer", "2.00")]

    # The real command line, on every story at once: JSON Lines, one bill a line (with its
    # source file), in order.
    done = subprocess.run([OFFDUTY, "bill", *map(str, files)], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    billed = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [b.pop("source") for b in billed] == [str(f) for f in files]
    assert billed == [i["bill"] for i in invoices]

    # The week's payroll pays each officer the bills' officer pay, to the cent.
    terms = registry.rules("chandler-az").terms
    expected: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    lines: dict[str, Decimal] = defaultdict(Decimal)
    for bill in by_id.values():
        for key, amount in _officer_pay_by_week(bill, terms.payroll_week_start).items():
            expected[key] += amount
        for line in bill["lines"]:
            if line["party"] == "officer":
                lines[line["officer"]] += Decimal(line["amount"])
    assert {badge: a for (_, badge), a in expected.items()} == {b: a for b, a in lines.items() if a}
    paid: dict[tuple[date, str], Decimal] = {}
    for week in sorted({w for w, _ in expected}):
        r = live.get(f"/payroll.csv?week={week.isoformat()}", "agency_admin")
        assert r.status_code == 200
        for row in csv.DictReader(io.StringIO(r.text)):
            assert row["week_start"] == week.isoformat() and row["agency"] == "chandler-az"
            paid[(week, row["badge"])] = Decimal(row["amount"])
    assert paid == {k: v for k, v in expected.items() if v}
    assert set(b for _, b in paid) == {"117", "124", "126", "127"}
    assert live.get(f"/payroll.csv?week={week.isoformat()}&agency=chandler-az", "operator").text == r.text


# --- idempotency -----------------------------------------------------------------------------------


def test_the_same_idempotency_key_gives_the_same_answer_and_one_input(live):
    body = {"category": "special_event", "start": "2027-06-20T18:00", "end": "2027-06-20T23:00",
            "positions": {"officer": 1}}
    key = {"Idempotency-Key": "req-1"}
    first = live.post("/requests", "vendor", body, headers=key)
    n = inputs_count(live)
    again = live.post("/requests", "vendor", body, headers=key)
    assert (again.status_code, again.json()) == (first.status_code, first.json()) and first.status_code == 201
    assert inputs_count(live) == n
    assert [v["id"] for v in live.get("/requests", "vendor").json()] == [first.json()["id"]]
    # The key is the user's own: another vendor's same key is its own request.
    other = live.post("/requests", "vendor2", body, headers=key)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # An answer that was a refusal is replayed as that refusal, even once the slot is free again.
    rid = first.json()["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    lost = live.post(f"/requests/{rid}/slots/0/accept", "officer:119", headers={"Idempotency-Key": "a-1"})
    assert lost.status_code == 409
    assert live.post(f"/requests/{rid}/slots/0/drop", "officer:117").status_code == 200
    n = inputs_count(live)
    retry = live.post(f"/requests/{rid}/slots/0/accept", "officer:119", headers={"Idempotency-Key": "a-1"})
    assert (retry.status_code, retry.json()) == (409, lost.json())
    assert inputs_count(live) == n
    with live.store.engine.connect() as conn:
        keys = conn.execute(text("SELECT idempotency_key FROM inputs WHERE idempotency_key IS NOT NULL "
                                 "ORDER BY seq")).scalars().all()
    assert len(keys) == len(set(keys)) == 3


# --- two processes, one slot -----------------------------------------------------------------------


def test_two_processes_racing_for_one_first_come_slot_award_it_once(live):
    from fastapi.testclient import TestClient

    from offduty_service.app import create_app

    rids = [live.request()["id"] for _ in range(3)]
    clients = [TestClient(create_app(live.another_store(), poll_seconds=None)) for _ in range(2)]
    for rid in rids:
        barrier = threading.Barrier(2)
        answers: list = [None, None]

        def race(i: int, badge: str) -> None:
            barrier.wait()
            answers[i] = clients[i].post(f"/api/v1/requests/{rid}/slots/0/accept", headers=live.officer(badge))

        threads = [threading.Thread(target=race, args=(i, b)) for i, b in enumerate(("117", "119"))]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=30)
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 409], [a.text for a in answers]
        won = next(a for a in answers if a.status_code == 200)
        assert won.json() == {"status": "awarded"}
        lost = next(a for a in answers if a.status_code == 409)
        assert "filled" in one_line_error(lost)
        winners = [s["officer"] for s in live.get(f"/requests/{rid}", "vendor").json()["slots"]]
        assert len(winners) == 1 and winners[0] in ("117", "119")
        # the winner drops it, so the next race (the same evening) is not refused as an overlap
        live.post(f"/requests/{rid}/slots/0/drop", f"officer:{winners[0]}")
    with live.store.engine.connect() as conn:
        seqs = conn.execute(text("SELECT seq FROM inputs ORDER BY seq")).scalars().all()
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_coordinator_with_clients_sees_only_theirs_and_no_coordinator_sees_money(live):
    mine = live.request()
    theirs = live.request("vendor2")
    assert live.get(f"/requests/{mine['id']}", "coordinator:stadium").status_code == 200
    assert live.get(f"/requests/{theirs['id']}", "coordinator:stadium").status_code == 404
    assert [v["id"] for v in live.get("/requests", "coordinator:stadium").json()] == [mine["id"]]
    assert {v["id"] for v in live.get("/requests", "coordinator").json()} == {mine["id"], theirs["id"]}
    r = live.post(f"/requests/{theirs['id']}/slots/0/assign", "coordinator:stadium", {"badge": "117", "reason": "x"})
    assert r.status_code == 404
    for who in ("coordinator", "coordinator:stadium"):
        assert live.get("/invoices", who).status_code == 403
        assert "vendor_total" not in live.get(f"/requests/{mine['id']}", who).json()
    assert "vendor_total" in live.get(f"/requests/{mine['id']}", "agency_admin").json()


def test_two_processes_writing_for_two_agencies_keep_one_log_in_order(live):
    """Writes for different agencies from two processes are still one sequence, in time order:
    the board is shared (an officer's caps span agencies), so the program's lock is taken."""
    from fastapi.testclient import TestClient

    from offduty_service.app import create_app

    clients = [TestClient(create_app(live.another_store(), poll_seconds=None)) for _ in range(2)]
    bodies = {"vendor": {"category": "special_event", "start": "2027-06-20T18:00", "end": "2027-06-20T23:00"},
              "vendor:grantsville": {"category": "traffic_control", "start": "2027-06-20T18:00",
                                     "end": "2027-06-20T23:00"}}
    answers: list = []
    barrier = threading.Barrier(2)

    def write(client, who: str) -> None:
        barrier.wait()
        for _ in range(8):
            answers.append(client.post("/api/v1/requests", json=bodies[who], headers=live.h(who)))
            live.advance(0.5) if who == "vendor" else None

    threads = [threading.Thread(target=write, args=(c, who)) for c, who in zip(clients, bodies)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert sorted({a.status_code for a in answers}) == [201], [a.text for a in answers if a.status_code != 201]
    rows = live.table("inputs", "seq")
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    assert len({r["request_id"] for r in rows if r["kind"] == "submit"}) == 16


def test_a_waiver_needs_a_reason_is_recorded_with_its_actor_and_leaves_the_bill_alone(live):
    view = live.request(start="2027-06-02T18:00", end="2027-06-02T23:00")
    rid = view["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    assert live.post(f"/requests/{rid}/waive", "agency_admin", {"amount": "10.00", "reason": "x"}).status_code == 422
    live.advance(64)  # settled and billed
    (before,) = live.get("/invoices", "vendor").json()
    for who in ("coordinator", "vendor", "officer", "auditor"):
        assert live.post(f"/requests/{rid}/waive", who, {"amount": "10.00", "reason": "x"}).status_code == 403
    assert live.post(f"/requests/{rid}/waive", "agency_admin", {"amount": "10.00"}).status_code == 422
    assert live.post(f"/requests/{rid}/waive", "agency_admin", {"amount": "10.00", "reason": " "}).status_code == 422
    too_much = live.post(f"/requests/{rid}/waive", "agency_admin", {"amount": "99999.00", "reason": "goodwill"})
    assert too_much.status_code == 422 and "balance still owed" in too_much.json()["error"]
    r = live.post(f"/requests/{rid}/waive", "agency_admin", {"amount": "25.00", "reason": "late officer, goodwill"})
    assert r.status_code == 200 and r.json() == {"request_id": rid, "waived": "25.00"}
    (after,) = live.get("/invoices", "vendor").json()
    assert after["bill"] == before["bill"]  # the rules' lines stay; the waiver is beside them
    assert after["waivers"] == [{"amount": "25.00", "reason": "late officer, goodwill", "by": "admin"}]
    assert Decimal(after["balance"]) == Decimal(before["balance"]) - Decimal("25.00")
    (row,) = [r for r in live.table("inputs", "seq") if r["kind"] == "waive"]
    assert (row["actor"], row["role"]) == ("admin", "agency_admin")
    fresh = live.another_store()  # survives a replay
    assert str(fresh.read(lambda program, conn: program.waived(rid))) == "25.00"


def test_a_roster_imported_mid_program_keeps_held_shifts_and_their_hours(live):
    first = live.request(start="2027-06-20T18:00", end="2027-06-20T23:00")
    assert live.accept(first["id"], 0, "117").status_code == 200
    rows = list(csv.DictReader(io.StringIO((ROOT / "examples" / "roster-chandler.csv").read_text())))
    for row in rows:
        if row["badge"] == "119":
            row["active"] = "no"  # on leave from now on
    rows.append(dict(rows[0], badge="190", name="New Hire", history="", seniority_date="2027-05-01"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    live.store.submit("roster", {"csv": out.getvalue(), "source": "roster-june.csv"}, actor="test", role="operator")
    with live.store.engine.begin() as conn:
        from offduty_service.auth import add_user
        live.tokens["officer:190"] = add_user(conn, "190", "officer", "chandler-az", badge="190")
    same_evening = live.request(start="2027-06-20T19:00", end="2027-06-20T22:00", positions={"officer": 2})
    refused = live.accept(same_evening["id"], 0, "117")  # the re-built book still holds 117's first shift
    assert refused.status_code == 409 and "overlaps" in one_line_error(refused)
    assert live.accept(same_evening["id"], 0, "119").status_code == 409  # inactive now
    assert live.accept(same_evening["id"], 0, "190").json() == {"status": "awarded"}  # the new hire
    assert live.get(f"/requests/{first['id']}", "vendor").json()["slots"][0]["officer"] == "117"
    fresh = live.another_store()  # and the same after a replay
    assert fresh.read(lambda program, conn: len(program.roster)) == len(rows)


def test_staff_report_a_no_show_and_nothing_is_billed_or_paid_for_it(live):
    rid = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00", positions={"officer": 2})["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    assert live.accept(rid, 1, "124").status_code == 200
    live.advance(34)  # 18:00
    assert live.post(f"/requests/{rid}/slots/0/clock-in", "officer:117").status_code == 200
    live.advance(4)
    assert live.post(f"/requests/{rid}/slots/0/clock-out", "officer:117").status_code == 200
    slots = live.get(f"/requests/{rid}", "coordinator").json()["slots"]
    assert [s["clocked"] for s in slots] == [True, False]  # who has no clock record
    assert live.post(f"/requests/{rid}/slots/1/no-show", "coordinator", {}).status_code == 422  # needs a reason
    assert live.post(f"/requests/{rid}/slots/1/no-show", "vendor", {"reason": "x"}).status_code == 403
    r = live.post(f"/requests/{rid}/slots/1/no-show", "coordinator", {"reason": "not at the site at 18:00"})
    assert r.status_code == 200 and r.json()["slots"][1]["status"] == "no_show"
    live.advance(30)
    (invoice,) = live.get("/invoices", "operator").json()
    assert {line["slot"] for line in invoice["bill"]["lines"]} == {0}  # slot 1: nothing billed or paid
