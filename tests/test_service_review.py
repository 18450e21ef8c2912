"""What a second reading of the live service (``offduty serve``) found, each case proved here:
a vendor's own request id can neither block others' requests nor steer an officer page's
buttons (ids are the service's), a clock-in is taken only around its shift and only for the
slot's holder, two operators advancing the clock never move it back, a store behind the log
still waits for the write lock; and what held (the login cookie, invoices against
``offduty bill`` in every kind of event).

The program is ``live`` of ``tests/service_support.py``: Chandler's roster, a manual clock at
Tuesday 2027-06-01 08:00 local (15:00 UTC), a user for every role.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import urljoin


from tests.service_support import START, live, live_pg  # noqa: F401 - the fixtures

SHIFT = {"category": "special_event", "start": "2027-06-20T18:00", "end": "2027-06-20T23:00",
         "positions": {"officer": 1}}


# --- separation: a vendor's request id --------------------------------------------------------------


def test_a_vendor_chosen_request_id_does_not_block_everyone_elses_requests(live):
    r = live.post("/requests", "vendor2", dict(SHIFT, id="R-000002"))
    assert r.status_code == 201
    for who in ("vendor", "vendor:lynnwood", "vendor"):
        r = live.post("/requests", who, SHIFT if who == "vendor" else dict(SHIFT, category="traffic_control"))
        assert r.status_code == 201, (who, r.text)


def test_a_request_id_cannot_steer_an_officer_page_button_to_another_action(live):
    mine = live.request()["id"]
    assert live.accept(mine, 0, "117").status_code == 200
    evil = live.post("/requests", "vendor2", dict(SHIFT, id=f"../shifts/{mine}/0/drop?",
                                                  start="2027-06-21T18:00", end="2027-06-21T22:00"))
    if evil.status_code == 201:  # an id with '/', '?' or '..' should rather be refused (422)
        c = live.client
        c.cookies.clear()
        assert c.post("/login", data={"token": live.tokens["officer:117"]}, follow_redirects=False).status_code == 303
        page = c.get("/officer").text
        actions = [html.unescape(a) for a in re.findall(r'action="([^"]+)"', page)]
        accept = [a for a in actions if a.endswith("/accept")]
        assert accept, actions
        c.post(urljoin("http://testserver/officer", accept[0]), follow_redirects=False)  # what a browser posts
    slot = live.get(f"/requests/{mine}", "operator").json()["slots"][0]
    assert (slot["status"], slot["officer"]) == ("filled", "117")


# --- money: clock records ----------------------------------------------------------------------------


def test_a_clock_in_a_day_before_the_shift_does_not_bill_a_day_and_a_half(live):
    rid = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00")["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    r = live.post(f"/requests/{rid}/slots/0/clock-in", "officer:117")  # Tuesday 08:00, the shift is Wednesday 18:00
    if r.status_code == 200:
        live.advance(38)  # Wednesday 22:00
        assert live.post(f"/requests/{rid}/slots/0/clock-out", "officer:117").status_code == 200
        live.advance(30)
        [inv] = live.get("/invoices", "operator").json()
        hours = [float(line["hours"]) for line in inv["bill"]["lines"] if line["party"] == "vendor"]
        assert max(hours) <= 5, inv["bill"]["lines"]
    else:
        assert r.status_code == 409


def test_a_dropped_officers_clock_in_does_not_pass_to_the_next_holder(live):
    rid = live.request(start="2027-06-01T18:00", end="2027-06-01T22:00")["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    live.advance(9.75)  # 17:45
    assert live.post(f"/requests/{rid}/slots/0/clock-in", "officer:117").status_code == 200
    assert live.post(f"/requests/{rid}/slots/0/drop", "officer:117").status_code == 200
    assert live.accept(rid, 0, "119").status_code == 200
    assert live.post(f"/requests/{rid}/slots/0/clock-in", "officer:119").status_code == 200


# --- concurrency on PostgreSQL -----------------------------------------------------------------------


def test_pg_a_store_not_caught_up_still_waits_for_the_write_lock(live_pg):
    """At HEAD (3640fcb) this failed: lock_agencies was given the in-memory roster's agencies
    before catch_up, so a store not yet caught up locked nothing for a tick and collided on
    inputs.seq (IntegrityError, 500).  The uncommitted PROGRAM_LOCKS change in store.py fixes it."""
    rid = live_pg.request()["id"]
    other = live_pg.another_store()  # a second process: nothing replayed yet
    inside, go = threading.Event(), threading.Event()
    out: dict[str, object] = {}

    def prepare(program, at):
        inside.set()
        go.wait(10)
        return {"request_id": rid, "slot": 0, "badge": "117"}

    def first():
        try:
            out["first"] = live_pg.store.submit("accept", {}, actor="117", role="officer", agencies=["chandler-az"],
                                             prepare=prepare)
        except Exception as exc:  # noqa: BLE001 - the defect: an IntegrityError
            out["first"] = exc

    def second():
        try:
            out["second"] = other.submit("tick", {}, actor="poller", role="operator")
        except Exception as exc:  # noqa: BLE001
            out["second"] = exc

    a = threading.Thread(target=first)
    a.start()
    assert inside.wait(10)
    b = threading.Thread(target=second)
    b.start()
    b.join(2)  # with the lock taken, the tick waits for the accept
    go.set()
    a.join(20)
    b.join(20)
    assert out["first"] == (200, None), out
    assert out["second"] == (200, None), out
    assert [r["kind"] for r in live_pg.table("inputs", "seq")][-2:] == ["accept", "tick"]


def test_pg_two_clock_advances_never_move_the_clock_back(live_pg):
    other = live_pg.another_store()
    other.read(lambda program, conn: program.seq)  # caught up: it takes the same locks
    inside, go = threading.Event(), threading.Event()
    set_clock = live_pg.store.clock.set

    def slow_set(conn, to):
        set_clock(conn, to)
        inside.set()
        go.wait(10)

    live_pg.store.clock.set = slow_set
    out: dict[str, object] = {}
    a = threading.Thread(target=lambda: out.setdefault("a", live_pg.store.advance({"hours": 10}, "op")))
    a.start()
    assert inside.wait(10)
    b = threading.Thread(target=lambda: out.setdefault("b", other.advance({"hours": 1}, "op2")))
    b.start()
    time.sleep(1)  # b has read the clock and waits on its row
    go.set()
    a.join(20)
    b.join(20)
    told = max(datetime.fromisoformat(v["now"]) for v in out.values())
    now = datetime.fromisoformat(live_pg.get("/clock", "operator").json()["now"])
    assert told == START + timedelta(hours=11), out  # b waited for a, then moved on from a's time
    assert now >= told, (now, out)
    ticks = [r["at"] for r in live_pg.table("inputs", "seq") if r["kind"] == "tick"]
    assert max(datetime.fromisoformat(t) for t in ticks) >= told


# --- what held ------------------------------------------------------------------------------------------


def test_the_login_cookie_is_samesite_strict_and_httponly(live):
    c = live.client
    r = c.post("/login", data={"token": live.tokens["vendor"]}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "offduty_token=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_invoices_are_offduty_bill_of_their_stories_in_every_kind_of_event(live):
    """Card and ACH fees, clock-in early and clock-out late, a drop and a re-award, no clock at
    all, a cancellation inside the window, a start change: each invoice is its story's bill."""
    from offduty_core import default_registry
    from offduty_core.cli_bill import bill_story

    early_late = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00", payment={"method": "card"})["id"]
    redo = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00", positions={"officer": 2},
                        payment={"method": "ach"})["id"]
    inside = live.request(start="2027-06-03T18:00", end="2027-06-03T22:00")["id"]
    moved = live.request("vendor2", start="2027-06-04T18:00", end="2027-06-04T22:00")["id"]
    assert live.accept(early_late, 0, "117").status_code == 200
    assert live.accept(redo, 0, "124").status_code == 200
    assert live.post(f"/requests/{redo}/slots/0/drop", "officer:124").status_code == 200
    assert live.accept(redo, 0, "126").status_code == 200
    assert live.accept(inside, 0, "127").status_code == 200
    assert live.accept(moved, 0, "119").status_code == 200
    assert live.post(f"/requests/{moved}/change-start", "vendor2",
                     {"start": "2027-06-04T19:00", "end": "2027-06-04T23:00"}).status_code == 200
    live.advance(33.5)  # Wednesday 17:30
    assert live.post(f"/requests/{early_late}/slots/0/clock-in", "officer:117").status_code == 200
    live.advance(4.5)  # 22:00: inside 24 h of Thursday's 18:00
    assert live.post(f"/requests/{inside}/cancel", "vendor").status_code == 200
    live.advance(0.75)
    assert live.post(f"/requests/{early_late}/slots/0/clock-out", "officer:117").status_code == 200
    live.advance(24 * 4)
    invoices = {i["request_id"]: i for i in live.get("/invoices", "operator").json()}
    assert set(invoices) == {early_late, redo, inside, moved}
    registry = default_registry()
    for rid, inv in invoices.items():
        assert bill_story(json.dumps(inv["story"]), "story.json", registry) == inv["bill"], rid
    assert float(invoices[inside]["vendor_total"]) > 0
