"""The job lifecycle: approval, posting, answers, awards, drops and reposts, cancellations,
moved starts (Lynnwood's accommodate-or-repost), the unfilled alert, work and billing; driven
only by timestamped inputs, so SimPy and a live scheduler drive it the same way."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from distribution_helpers import T, TOWN, accept, awards, cop, make_board, of, refusals, submit, until
from offduty_core import Registry, get_plugin_manager
from offduty_core.plugins import BUILTIN_PLUGINS
from offduty_core.billing import bill
from offduty_core.errors import InputError
from offduty_core.lifecycle import (Accept, Approved, CancelRequest, ChangeStart, ClockShift, Complete, Decline, DropShift,
                                    JobBoard, NoShow, Posted, ReleaseEarly, SubmitRequest, Tick)
from offduty_core.model import Request
from offduty_core.officers import CycleSchedule, Officer, Roster
from offduty_core.story import load_json, parse_story

ROOT = Path(__file__).resolve().parents[1]
# The seed agencies arrive through entry points; name their modules so the registry stays isolated.
SEED_MODULES = tuple(f"offduty_plugins.agencies.{m}" for m in ("chandler_az", "grantsville_ut", "lynnwood_wa",
                                                                "west_valley_city_ut"))
SEEDS = Registry(get_plugin_manager(entry_points=False, builtins=BUILTIN_PLUGINS + SEED_MODULES))


def local(tz: str, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def seed_board(agency: str, badges, **kw) -> JobBoard:
    roster = Roster(Officer(badge=b, agency=agency, seniority_date=date(2010, 1, 1) + timedelta(days=i))
                    for i, b in enumerate(badges))
    return JobBoard(SEEDS, roster, **kw)


def seed_request(tz: str, rid: str, received: str, start: str, end: str, n: int = 1, category="security", **kw):
    return Request(id=rid, vendor="Vendor", category=category, received_at=local(tz, received),
                   start=local(tz, start), end=local(tz, end), positions={"officer": n}, **kw)


def billed(board: JobBoard, rid: str):
    record, = [r for r in of(board.records, "Billed") if r.request_id == rid]
    return record.bill


# --- approval and posting ---------------------------------------------------------------


def test_a_refused_request_is_recorded_with_the_rule_and_why():
    board = seed_board("grantsville-ut", ["G1"])
    tz = "America/Denver"
    board.handle(SubmitRequest(agency="grantsville-ut",
                               request=seed_request(tz, "G-9", "2027-08-01T08:00", "2027-08-01T18:00", "2027-08-01T22:00")))
    refused, = of(board.records, "Refused")
    assert refused.reason == "grantsville-ut: requests need 24 h notice; this one gave 10 h (rule notice)"
    assert refused.rule == "grantsville-ut:notice" and board.next_wakeup() is None
    with pytest.raises(InputError, match="was refused"):
        board.handle(Accept(at=local(tz, "2027-08-01T09:00"), request_id="G-9", slot=0, badge="G1"))


def test_approval_adds_the_supervisor_and_posts_every_slot():
    board = seed_board("chandler-az", ["C1"])
    tz = "America/Phoenix"
    board.handle(SubmitRequest(agency="chandler-az", request=seed_request(
        tz, "C-1", "2027-03-01T08:00", "2027-03-05T18:00", "2027-03-05T22:00", n=4)))
    approved, = of(board.records, "Approved")
    assert approved.roles == ("officer",) * 4 + ("supervisor",)
    assert "supervisor position added" in approved.notes[0]
    assert [(p.slot, p.role) for p in of(board.records, "Posted")] == [(0, "officer"), (1, "officer"), (2, "officer"),
                                                                        (3, "officer"), (4, "supervisor")]


def test_the_approved_and_posted_records_hold_each_field_by_name():
    # The board makes these per request and per slot as plain tuples in field order.
    board = seed_board("chandler-az", ["C1"])
    tz = "America/Phoenix"
    request = seed_request(tz, "C-2", "2027-03-01T08:00", "2027-03-05T18:00", "2027-03-05T22:00")
    board.handle(SubmitRequest(agency="chandler-az", request=request))
    approved, = of(board.records, "Approved")
    posted, = of(board.records, "Posted")
    now = request.received_at
    assert approved == Approved(at=now, request_id="C-2", agency="chandler-az", roles=("officer",),
                                emergency=False, posts_at=now, notes=())
    assert posted == Posted(at=now, request_id="C-2", slot=0, role="officer", category="security",
                            agency="chandler-az", start=request.start, end=request.end, method=posted.method,
                            audience=("chandler-az",), group=None, repost=False)
    assert isinstance(posted.method, str) and posted.method


def test_posting_waits_for_approval():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00", request={"approved_at": T("2027-03-02T10:00")})
    assert of(board.records, "Posted") == []
    assert of(board.records, "Approved")[0].posts_at == T("2027-03-02T10:00")
    assert board.next_wakeup() == T("2027-03-02T10:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    assert refusals(board) == ["R-1 slot 0 is not posted yet"]
    until(board, "2027-03-02T10:00")
    posted, = of(board.records, "Posted")
    assert posted.at == T("2027-03-02T10:00")


def test_inputs_must_come_in_time_order_and_name_real_requests_and_slots():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    accept(board, "2027-03-02T09:00", "R-1", "1")
    with pytest.raises(InputError, match="events must come in time order"):
        accept(board, "2027-03-02T08:00", "R-1", "1")
    with pytest.raises(InputError, match="'R-404' is not allowed; is not a request on this board"):
        accept(board, "2027-03-02T10:00", "R-404", "1")
    with pytest.raises(InputError, match="slots of R-1 are 0..0"):
        accept(board, "2027-03-02T10:00", "R-1", "1", slot=3)
    with pytest.raises(InputError, match="already on this board"):
        submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00", received="2027-03-02T10:00")


# --- the unfilled alert and unfilled shifts ---------------------------------------------


def test_chandler_alerts_24_h_before_an_unfilled_start_and_bills_nothing_for_it():
    board = seed_board("chandler-az", ["C1"])
    tz = "America/Phoenix"
    board.handle(SubmitRequest(agency="chandler-az", request=seed_request(
        tz, "C-1", "2027-03-01T08:00", "2027-03-05T18:00", "2027-03-05T22:00", n=2)))
    board.handle(Accept(at=local(tz, "2027-03-01T09:00"), request_id="C-1", slot=0, badge="C1"))
    assert board.next_wakeup() == local(tz, "2027-03-04T18:00")
    board.run([])
    alert, = of(board.records, "AlertSent")
    assert (alert.slot, alert.at, alert.lead) == (1, local(tz, "2027-03-04T18:00"), timedelta(hours=24))
    unfilled, = of(board.records, "ShiftUnfilled")
    assert (unfilled.slot, unfilled.at) == (1, local(tz, "2027-03-05T18:00"))
    done, = of(board.records, "Completed")
    assert done.slots == ("filled", "unfilled") and done.at == local(tz, "2027-03-06T22:00")
    result = billed(board, "C-1")
    # One officer slot, 4 h x (83.28 + 2.78 workers' comp); nothing for the unfilled slot.
    assert result.vendor_total == Decimal("344.24")
    assert [s["status"] for s in result.slots] == ["worked", "unfilled"]


def test_with_an_alert_the_start_check_is_set_when_the_alert_goes_out():
    # A slot filled before its alert needs no start check, and gets none; one still open at
    # its alert gets it then (and is found unfilled at its start, as the test above shows).
    board = seed_board("chandler-az", ["C1"])
    tz = "America/Phoenix"
    board.handle(SubmitRequest(agency="chandler-az", request=seed_request(
        tz, "C-1", "2027-03-01T08:00", "2027-03-05T18:00", "2027-03-05T22:00", n=2)))

    def kinds():
        return sorted((type(t).__name__, t.st.slot.index if hasattr(t, "st") else None) for t in board.wakeups())

    assert kinds() == [("AlertTimer", 0), ("AlertTimer", 1), ("SettleTimer", None)]
    board.handle(Accept(at=local(tz, "2027-03-01T09:00"), request_id="C-1", slot=0, badge="C1"))
    board.advance(local(tz, "2027-03-04T18:00"))
    assert kinds() == [("SettleTimer", None), ("StartTimer", 1)]


def test_agencies_without_an_alert_send_none():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    board.run([])
    assert of(board.records, "AlertSent") == [] and len(of(board.records, "ShiftUnfilled")) == 1


# --- cancellations ----------------------------------------------------------------------


def test_lynnwood_refuses_a_phone_cancellation_and_charges_4_hours_inside_5_days():
    board = seed_board("lynnwood-wa", ["L1", "L2"])
    tz = "America/Los_Angeles"
    board.handle(SubmitRequest(agency="lynnwood-wa", request=seed_request(
        tz, "L-1", "2027-03-01T08:00", "2027-03-10T16:00", "2027-03-10T22:00", n=2)))
    board.handle(Accept(at=local(tz, "2027-03-01T09:00"), request_id="L-1", slot=0, badge="L1"))
    board.handle(CancelRequest(at=local(tz, "2027-03-08T09:00"), request_id="L-1", channel="phone"))
    refused, = of(board.records, "Refused")
    assert refused.what == "cancel" and "must be in writing" in refused.reason
    board.handle(CancelRequest(at=local(tz, "2027-03-08T10:00"), request_id="L-1", channel="email",
                               quoted_request_id="L-2"))
    assert "must quote the request number 'L-1'" in of(board.records, "Refused")[-1].reason
    board.handle(CancelRequest(at=local(tz, "2027-03-08T11:00"), request_id="L-1", channel="email"))
    cancelled = of(board.records, "Cancelled")
    assert [(c.slot, c.badge) for c in cancelled] == [(0, "L1"), (1, None)]
    assert cancelled[1].note == "nobody held it: nothing to charge or pay"
    # Every slot is closed: the job is billed at once.  4 h x 170.87 for the held slot only.
    result = billed(board, "L-1")
    assert result.vendor_total == Decimal("683.48")
    assert result.officer_pay() == {"L1": Decimal("621.36")}
    assert board.book.bookings_of("L1") == []
    with pytest.raises(InputError, match="completed and billed"):
        board.handle(Tick(at=local(tz, "2027-03-08T12:00"))) or board.handle(
            CancelRequest(at=local(tz, "2027-03-08T12:00"), request_id="L-1"))


def test_a_board_that_drops_settled_jobs_bills_them_alike_and_still_refuses_them_by_name():
    # keep_settled=False (the simulator's board): a settled job's state goes, its records and
    # bill stay, and a later event for it is refused as on a board that keeps it.
    tz = "America/Los_Angeles"
    boards = [seed_board("lynnwood-wa", ["L1", "L2"], keep_settled=keep) for keep in (True, False)]
    for board in boards:
        board.handle(SubmitRequest(agency="lynnwood-wa", request=seed_request(
            tz, "L-1", "2027-03-01T08:00", "2027-03-10T16:00", "2027-03-10T22:00", n=2)))
        board.handle(Accept(at=local(tz, "2027-03-01T09:00"), request_id="L-1", slot=0, badge="L1"))
        board.handle(CancelRequest(at=local(tz, "2027-03-08T11:00"), request_id="L-1", channel="email"))
        with pytest.raises(InputError, match="completed and billed"):
            board.handle(CancelRequest(at=local(tz, "2027-03-08T12:00"), request_id="L-1"))
        with pytest.raises(InputError, match="already on this board"):
            board.handle(SubmitRequest(agency="lynnwood-wa", request=seed_request(
                tz, "L-1", "2027-03-08T12:00", "2027-03-10T16:00", "2027-03-10T22:00")))
    kept, dropped = boards
    assert "L-1" in kept.jobs and "L-1" not in dropped.jobs and dropped.settled == {"L-1"}
    assert billed(kept, "L-1") == billed(dropped, "L-1")
    assert [type(r).__name__ for r in kept.records] == [type(r).__name__ for r in dropped.records]


def test_wake_ups_handed_to_a_caller_s_scheduler_run_as_the_board_s_own_heap_runs_them():
    # schedule= (the simulator's SimPy queue): each timer is handed over as it is set and the
    # caller fires it when due; the records are those of a board keeping its own heap.
    import heapq
    import itertools

    tz = "America/Los_Angeles"
    seq = itertools.count()
    queue: list = []
    own = seed_board("lynnwood-wa", ["L1", "L2"])
    handed = seed_board("lynnwood-wa", ["L1", "L2"],
                        schedule=lambda timer: heapq.heappush(queue, (timer.at, next(seq), timer)))
    inputs = [SubmitRequest(agency="lynnwood-wa", request=seed_request(
                  tz, "L-1", "2027-03-01T08:00", "2027-03-10T16:00", "2027-03-10T22:00", n=2)),
              Accept(at=local(tz, "2027-03-01T09:00"), request_id="L-1", slot=0, badge="L1"),
              ClockShift(request_id="L-1", slot=0, clock_in=local(tz, "2027-03-10T16:00"),
                         clock_out=local(tz, "2027-03-10T22:00"))]
    own.run(inputs)
    for event in inputs:
        while queue and queue[0][0] <= event.at:
            handed.fire(heapq.heappop(queue)[2])
        handed.handle(event)
    while queue:
        handed.fire(heapq.heappop(queue)[2])
    assert handed.next_wakeup() is None  # nothing in the board's own heap
    assert [type(r).__name__ for r in handed.records] == [type(r).__name__ for r in own.records]
    assert "ShiftUnfilled" in {type(r).__name__ for r in own.records}  # a timer that acted
    assert billed(handed, "L-1") == billed(own, "L-1")


def test_a_caller_told_of_each_new_earliest_wake_up_runs_the_board_as_its_own_heap_does():
    # wake= (the simulator's one SimPy event for the board): the board keeps its heap and tells
    # the caller of a timer only when it becomes the earliest; the caller advances the board at
    # its own wake-up, no later than the earliest; the records are those of the board alone.
    tz = "America/Los_Angeles"
    told: list = []
    own = seed_board("lynnwood-wa", ["L1", "L2"])
    woken = seed_board("lynnwood-wa", ["L1", "L2"], wake=told.append)
    inputs = [SubmitRequest(agency="lynnwood-wa", request=seed_request(
                  tz, "L-1", "2027-03-01T08:00", "2027-03-10T16:00", "2027-03-10T22:00", n=2)),
              SubmitRequest(agency="lynnwood-wa", request=seed_request(
                  tz, "L-2", "2027-03-01T08:30", "2027-03-04T16:00", "2027-03-04T22:00")),
              Accept(at=local(tz, "2027-03-01T09:00"), request_id="L-1", slot=0, badge="L1"),
              ClockShift(request_id="L-1", slot=0, clock_in=local(tz, "2027-03-10T16:00"),
                         clock_out=local(tz, "2027-03-10T22:00"))]
    own.run(inputs)
    due, n_told = None, 0  # the caller's one wake-up
    for event in inputs:
        n_told += len(told)
        for timer in told:
            due = timer.at if due is None or timer.at < due else due
        told.clear()
        while due is not None and due <= event.at:
            woken.advance(due)
            due = woken.next_wakeup()
        woken.handle(event)
    woken.run([])
    assert [type(r).__name__ for r in woken.records] == [type(r).__name__ for r in own.records]
    assert [r.at for r in woken.records] == [r.at for r in own.records]
    assert billed(woken, "L-1") == billed(own, "L-1")
    assert 2 <= n_told < 8  # L-1's first timer, then L-2's earlier start; not every timer set
    with pytest.raises(InputError, match="one way"):
        seed_board("lynnwood-wa", ["L1"], wake=told.append, schedule=told.append)


@pytest.mark.parametrize("drop_at, alerts", [("2027-03-03T08:00", 1), ("2027-03-05T08:00", 0)])
def test_a_shift_dropped_after_its_wake_ups_were_let_go_still_gets_its_alert_and_start_check(drop_at, alerts):
    # A caller that shares its queue (wake=) asks next_wakeup(), which lets go of a filled
    # slot's alert and start check; a drop reopens the slot, and they must be set again: the
    # same records as a board on its own heap.  Chandler alerts 24 h before an unfilled start:
    # a drop two days before is alerted, one 10 h before (filled at the alert's time) is not.
    tz = "America/Phoenix"
    told: list = []
    own = seed_board("chandler-az", ["C1"])
    woken = seed_board("chandler-az", ["C1"], wake=told.append)
    inputs = [SubmitRequest(agency="chandler-az", request=seed_request(
                  tz, "C-1", "2027-03-01T08:00", "2027-03-05T18:00", "2027-03-05T22:00")),
              Accept(at=local(tz, "2027-03-01T09:00"), request_id="C-1", slot=0, badge="C1"),
              DropShift(at=local(tz, drop_at), request_id="C-1", slot=0, badge="C1")]
    own.run(inputs)
    for event in inputs:
        while (due := woken.next_wakeup()) is not None and due <= event.at:
            woken.advance(due)
        woken.handle(event)
        woken.next_wakeup()  # a query: it must not lose what a later input makes live again
    woken.run([])
    kinds = [type(r).__name__ for r in woken.records]
    assert kinds == [type(r).__name__ for r in own.records]
    assert [r.at for r in woken.records] == [r.at for r in own.records]
    assert kinds.count("AlertSent") == alerts
    unfilled, = of(woken.records, "ShiftUnfilled")
    assert unfilled.at == local(tz, "2027-03-05T18:00")


def test_a_reduction_cancels_only_the_given_slots():
    board = make_board([cop("1"), cop("2")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00", n=2)
    accept(board, "2027-03-01T09:00", "R-1", "1", slot=0)
    accept(board, "2027-03-01T09:00", "R-1", "2", slot=1)
    board.handle(CancelRequest(at=T("2027-03-02T09:00"), request_id="R-1", slots=(1,)))
    board.run([])
    assert of(board.records, "Completed")[0].slots == ("filled", "cancelled")
    assert billed(board, "R-1").vendor_total == Decimal("240.00")  # test-town: free cancellation, 4 h x 60


# --- moved starts -----------------------------------------------------------------------


def test_lynnwood_change_start_matches_the_billing_story():
    """The lifecycle's history, turned into billing events, bills exactly what the
    example story (examples/lynnwood-change-start.json) bills."""
    story = parse_story(load_json((ROOT / "examples" / "lynnwood-change-start.json").read_text()), SEEDS)
    expected = bill(story.rules, story.request, story.events, story.payment_method)
    tz = "America/Los_Angeles"
    board = seed_board("lynnwood-wa", ["L-311", "L-122", "L-408"])
    board.handle(SubmitRequest(agency="lynnwood-wa", request=story.request))
    board.handle(Accept(at=local(tz, "2027-11-01T10:00"), request_id="L-2027-0412", slot=0, badge="L-311"))
    board.handle(Accept(at=local(tz, "2027-11-01T10:01"), request_id="L-2027-0412", slot=1, badge="L-122"))
    board.handle(ChangeStart(at=local(tz, "2027-11-24T10:00"), request_id="L-2027-0412",
                             start=local(tz, "2027-11-26T18:00"), end=local(tz, "2027-11-27T00:00"),
                             officer_accepts=False, slots=(1,)))
    changed, = of(board.records, "StartChanged")
    assert (changed.badge, changed.kept, changed.reason) == ("L-122", False, "badge L-122 cannot work the new times")
    repost, = of(board.records, "Reposted")
    assert repost.barred == ("L-122",)
    board.handle(Accept(at=local(tz, "2027-11-24T10:30"), request_id="L-2027-0412", slot=1, badge="L-122"))
    assert "barred from L-2027-0412 slot 1" in refusals(board)[-1]
    board.handle(Accept(at=local(tz, "2027-11-24T11:00"), request_id="L-2027-0412", slot=1, badge="L-408"))
    board.run([])
    result = billed(board, "L-2027-0412")
    assert result.vendor_total == expected.vendor_total
    assert result.officer_pay() == expected.officer_pay()
    assert set(result.officer_pay()) == {"L-311", "L-122", "L-408"}  # L-122 paid the 4-hour charge


def test_accommodate_when_the_officer_can_work_the_new_time_else_repost_them_barred():
    day = T("2027-03-05T00:00").date()
    night_duty = cop("2", schedule=CycleSchedule(pattern="5x8", shift_start=time(23), anchor=day))
    board = make_board([cop("1"), night_duty, cop("3")])
    submit(board, "R-1", "2027-03-05T11:00", "2027-03-05T15:00", n=2)
    accept(board, "2027-03-01T09:00", "R-1", "1", slot=0)
    accept(board, "2027-03-01T09:00", "R-1", "2", slot=1)  # 8 h rest before 23:00: fine
    assert len(awards(board)) == 2
    # Moved to 16:00-20:00: badge 2 would have only 3 h rest before going on duty at 23:00.
    board.handle(ChangeStart(at=T("2027-03-03T09:00"), request_id="R-1", start=T("2027-03-05T16:00"),
                             end=T("2027-03-05T20:00")))
    kept, lost = of(board.records, "StartChanged")
    assert (kept.badge, kept.kept) == ("1", True)
    assert (lost.badge, lost.kept) == ("2", False)
    assert lost.reason == "badge 2: only 3 h rest before going on duty at 2027-03-05 23:00; the minimum is 8 h"
    assert board.book.booking(("R-1", 0)).start == int(T("2027-03-05T16:00").timestamp())
    accept(board, "2027-03-03T10:00", "R-1", "3", slot=1)
    board.run([])
    assert billed(board, "R-1").officer_pay() == {"1": Decimal("200.00"), "3": Decimal("200.00")}


def test_a_change_after_the_start_is_refused():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    board.handle(ChangeStart(at=T("2027-03-05T19:00"), request_id="R-1", start=T("2027-03-05T20:00"),
                             end=T("2027-03-05T23:00")))
    refused, = of(board.records, "Refused")
    assert refused.reason == ("a start-time change must come before the shift starts "
                              "(R-1 slot 0 started 2027-03-05T18:00-06:00)")


# --- work -------------------------------------------------------------------------------


def test_clock_records_bill_hours_worked_and_count_toward_caps():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    board.handle(ClockShift(request_id="R-1", slot=0, clock_in=T("2027-03-05T18:00"), clock_out=T("2027-03-05T21:30")))
    clocked, = of(board.records, "Clocked")
    assert clocked.at == T("2027-03-05T21:30")
    assert board.book.day_secs[("1", date(2027, 3, 5).toordinal())] == int(3.5 * 3600)
    board.handle(Complete(at=T("2027-03-05T22:00"), request_id="R-1"))
    assert billed(board, "R-1").vendor_total == Decimal("210.00")


def test_west_valley_city_bills_the_full_shift_after_an_early_release():
    board = seed_board("west-valley-city-ut", ["117"])
    tz = "America/Denver"
    board.handle(SubmitRequest(agency="west-valley-city-ut", request=seed_request(
        tz, "R-100", "2027-03-01T09:00", "2027-03-10T10:00", "2027-03-10T14:00")))
    board.handle(Accept(at=local(tz, "2027-03-01T10:00"), request_id="R-100", slot=0, badge="117"))
    board.handle(ReleaseEarly(at=local(tz, "2027-03-10T12:00"), request_id="R-100", slot=0))
    board.run([])
    assert billed(board, "R-100").vendor_total == Decimal("228.00")  # 4 h x 57.00


def test_no_show_and_drop_rules():
    board = make_board([cop("1"), cop("2")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    with pytest.raises(InputError, match="has started; report a no-show or an early release instead"):
        board.handle(DropShift(at=T("2027-03-05T18:30"), request_id="R-1", slot=0))
    with pytest.raises(InputError, match="is held by badge 1"):
        board.handle(DropShift(at=T("2027-03-05T18:30"), request_id="R-1", slot=0, badge="2"))
    board.handle(NoShow(at=T("2027-03-05T18:40"), request_id="R-1", slot=0))
    board.run([])
    assert billed(board, "R-1").vendor_total == 0
    assert board.book.bookings_of("1") == []


def test_complete_too_early_is_refused():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    with pytest.raises(InputError, match="the job's last shift ends 2027-03-05T22:00-06:00"):
        board.handle(Complete(at=T("2027-03-05T21:00"), request_id="R-1"))


# --- time is the caller's --------------------------------------------------------------


def scripted_inputs():
    return [
        SubmitRequest(agency=TOWN, request=Request(id="R-1", vendor="V", category="security",
                                                   received_at=T("2027-03-01T08:00"), start=T("2027-03-03T18:00"),
                                                   end=T("2027-03-03T22:00"), positions={"officer": 2})),
        Accept(at=T("2027-03-01T10:00"), request_id="R-1", slot=1, badge="2"),
        Accept(at=T("2027-03-01T10:00"), request_id="R-1", slot=0, badge="1"),
        DropShift(at=T("2027-03-02T07:00"), request_id="R-1", slot=0),
        Accept(at=T("2027-03-02T11:00"), request_id="R-1", slot=0, badge="3"),
    ]


def test_the_same_inputs_give_the_same_records_whoever_drives_the_clock():
    roster = [cop("1", "2001-01-01"), cop("2", "2002-01-01"), cop("3", "2003-01-01")]
    a = make_board(roster, method="sequencing", params={"response_minutes": 240})
    a.run(scripted_inputs())

    # Step by step, waking only when the board asks to (a live scheduler would do this).
    b = make_board(roster, method="sequencing", params={"response_minutes": 240})
    pending = sorted(scripted_inputs(), key=lambda e: e.at)
    while pending or b.next_wakeup() is not None:
        wake = b.next_wakeup()
        if pending and (wake is None or pending[0].at <= wake):
            b.handle(pending.pop(0))
        else:
            b.advance(wake)
    assert [r for r in a.records if r.kind != "Billed"] == [r for r in b.records if r.kind != "Billed"]
    assert billed(a, "R-1").to_dict() == billed(b, "R-1").to_dict()


def test_a_simpy_process_drives_the_board():
    simpy = pytest.importorskip("simpy")
    roster = [cop("1", "2001-01-01"), cop("2", "2002-01-01"), cop("3", "2003-01-01")]
    board = make_board(roster, method="sequencing", params={"response_minutes": 240})
    origin = T("2027-03-01T00:00")
    env = simpy.Environment()
    inputs = sorted(scripted_inputs(), key=lambda e: e.at)

    def hours(moment):
        return (moment - origin).total_seconds() / 3600

    def driver(env):
        while inputs or board.next_wakeup() is not None:
            wake = board.next_wakeup()
            if inputs and (wake is None or inputs[0].at <= wake):
                yield env.timeout(hours(inputs[0].at) - env.now)
                board.handle(inputs.pop(0))
            else:
                yield env.timeout(hours(wake) - env.now)
                board.advance(origin + timedelta(hours=env.now))

    env.process(driver(env))
    env.run()
    reference = make_board(roster, method="sequencing", params={"response_minutes": 240})
    reference.run(scripted_inputs())
    assert awards(board) == awards(reference) == [("R-1", 1, "2"), ("R-1", 0, "1"), ("R-1", 0, "3")]
    assert billed(board, "R-1").vendor_total == billed(reference, "R-1").vendor_total == Decimal("480.00")


def test_a_cancellation_after_the_start_is_an_early_release():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    board.handle(CancelRequest(at=T("2027-03-05T20:00"), request_id="R-1"))
    cancelled, = of(board.records, "Cancelled")
    assert (cancelled.badge, cancelled.note) == ("1", "after the start: an early release")
    assert board.assignments() == {("R-1", 0): "1"}  # still held: the officer worked until 20:00
    assert board.book.day_secs[("1", date(2027, 3, 5).toordinal())] == 2 * 3600
    board.run([])
    assert billed(board, "R-1").vendor_total == Decimal("120.00")  # test-town: 2 h worked x 60


def test_a_change_to_a_start_before_the_change_is_refused():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    board.handle(ChangeStart(at=T("2027-03-02T09:00"), request_id="R-1", start=T("2027-03-02T08:00"),
                             end=T("2027-03-02T12:00")))
    refused, = of(board.records, "Refused")
    assert refused.reason == ("the new start 2027-03-02T08:00-06:00 is not after the change "
                              "(2027-03-02T09:00-06:00)")


def test_a_late_approval_posts_before_it_alerts():
    from distribution_helpers import registry

    board = JobBoard(registry(alert=timedelta(hours=24)), Roster([cop("1")]))
    submit(board, "R-1", "2027-03-03T18:00", "2027-03-03T22:00", request={"approved_at": T("2027-03-03T06:00")})
    until(board, "2027-03-03T06:00")
    assert [r.kind for r in board.records] == ["Approved", "Posted", "AlertSent"]


# --- posting in stages ------------------------------------------------------------------


def test_group_first_then_everyone_when_still_unfilled_before_the_start():
    from distribution_helpers import VILLE

    board = make_board([cop("1", quals={"sso"}), cop("2"), cop("V1", agency=VILLE)], group="sso",
                       backup_agencies=[VILLE], release_before_start_hours=48)
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    posted, = of(board.records, "Posted")
    assert (posted.audience, posted.group) == (("test-town",), "sso")
    accept(board, "2027-03-02T09:00", "R-1", "2")
    assert refusals(board) == ["badge 2: R-1 slot 0 is open only to test-town officers holding sso until "
                               "2027-03-03T18:00-06:00"]
    assert board.next_wakeup() == T("2027-03-03T18:00")
    until(board, "2027-03-03T18:00")
    opened, = of(board.records, "StageOpened")
    assert opened.audience == ("test-town", "test-ville")
    accept(board, "2027-03-03T18:05", "R-1", "V1")  # a back-up agency's officer, first to accept
    assert awards(board) == [("R-1", 0, "V1")]


def test_sequencing_hands_over_to_first_come_when_back_ups_open():
    from distribution_helpers import VILLE

    board = make_board([cop("1"), cop("V1", agency=VILLE)], method="sequencing",
                       params={"response_minutes": 600, "exhausted": "wait"},
                       backup_agencies=[VILLE], release_after_hours=2)
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    board.handle(Decline(at=T("2027-03-01T09:00"), request_id="R-1", slot=0, badge="1"))
    assert of(board.records, "ReleasedToAll") == []  # "wait": nobody else on the list
    until(board, "2027-03-01T10:00")
    released, = of(board.records, "ReleasedToAll")
    assert released.reason == "the back-up stage opened: first come, first served"
    accept(board, "2027-03-01T10:30", "R-1", "V1")
    assert awards(board) == [("R-1", 0, "V1")]


def test_advance_keeps_the_clock_in_utc_whatever_zone_the_caller_uses():
    # The simulator once advanced the board with local-zone instants; "now + window" is then
    # wall-clock arithmetic, an hour off across a DST change.  The board normalises instead.
    board = make_board([cop("1")])
    local = datetime(2027, 3, 13, 23, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    board.advance(local)
    assert board.now == local and board.now.utcoffset() == timedelta(0)
    assert board.now + timedelta(hours=3) == local.astimezone(ZoneInfo("UTC")) + timedelta(hours=3)
    assert (board.now + timedelta(hours=3)).astimezone(local.tzinfo).hour == 3  # 02:30 does not exist
    with pytest.raises(InputError, match="until"):
        board.advance(datetime(2027, 3, 14, 12, 0))


def test_wake_ups_set_in_any_zone_run_in_instant_order_and_an_instant_in_the_order_set():
    # The board's heap keys wake-ups by their instant in UTC (a zone's datetimes compare as
    # fields): one set a minute earlier in another zone comes first; two at one instant, in
    # whichever zones, keep the order they were set in.
    import heapq
    from types import SimpleNamespace

    from offduty_core.lifecycle import PostTimer

    board = make_board([cop("1")])
    a, b, c = (SimpleNamespace(status="approved") for _ in range(3))
    utc = datetime(2027, 3, 1, 15, tzinfo=timezone.utc)
    chicago = ZoneInfo("America/Chicago")
    board._push(PostTimer(utc, a))
    board._push(PostTimer(utc.astimezone(chicago), b))
    earlier = (utc - timedelta(minutes=1)).astimezone(chicago)
    board._push(PostTimer(earlier, c))
    assert board.next_wakeup() is earlier
    assert [heapq.heappop(board._timers)[2].job for _ in range(3)] == [c, a, b]


def test_records_are_named_tuples_equal_only_to_records_of_their_own_kind():
    from offduty_core import lifecycle as lc

    t = datetime(2027, 3, 1, 10, tzinfo=timezone.utc)
    declined, lapsed = lc.Declined(t, "R-1", 0, "117"), lc.Lapsed(t, "R-1", 0, "117")
    assert tuple(declined) == tuple(lapsed)
    assert declined != lapsed and not declined == lapsed and declined != tuple(declined)
    assert declined == lc.Declined(at=t, request_id="R-1", slot=0, badge="117") and hash(declined) == hash(lapsed)
    assert {declined: 1, lapsed: 2}[lc.Declined(t, "R-1", 0, "117")] == 1
    assert declined.kind == "Declined" and declined._replace(badge="118").badge == "118"
    assert isinstance(declined, lc.SlotRecord) and isinstance(declined, lc.Record)
    billed = lc.Billed(t, "R-1", bill=object(), vendor_total="10.00", officer_pay_total="8.00")
    assert not isinstance(billed, lc.SlotRecord) and isinstance(billed, lc.Record)
    assert "bill=" not in repr(billed) and "vendor_total='10.00'" in repr(billed)
    from offduty_core import board_records

    records = [c for c in vars(board_records).values()
               if isinstance(c, type) and issubclass(c, tuple) and hasattr(c, "kind")]
    assert len(records) > 20
    for cls in records:
        assert cls._fields[:2] == ("at", "request_id") and cls.kind == cls.__name__
        assert issubclass(cls, lc.Record)
        assert issubclass(cls, lc.SlotRecord) == (cls._fields[2] == "slot")


def test_inputs_are_named_tuples_checked_when_made():
    from zoneinfo import ZoneInfo

    from offduty_core import lifecycle as lc

    t0 = datetime(2027, 3, 1, 10, tzinfo=timezone.utc)
    t1 = t0 + timedelta(hours=4)
    accept = lc.Accept(at=t0, request_id="R-1", slot=0, badge="117")
    assert accept.at is t0 and tuple(accept) == (t0, "R-1", 0, "117")
    assert accept != lc.Decline(at=t0, request_id="R-1", slot=0, badge="117")
    local = t0.astimezone(ZoneInfo("America/Phoenix"))
    moved = lc.Accept(local, "R-1", 0, "117")
    assert moved.at == t0 and moved.at.tzinfo is timezone.utc
    with pytest.raises(InputError, match="timezone-aware"):
        lc.Tick(at=datetime(2027, 3, 1, 10))
    with pytest.raises(InputError, match="timezone-aware"):
        lc.ChangeStart(at=t0, request_id="R-1", start=t1, end=datetime(2027, 3, 1, 18))
    with pytest.raises(InputError, match="after its start"):
        lc.ChangeStart(at=t0, request_id="R-1", start=t1, end=t0)
    with pytest.raises(InputError, match="after clock.in"):
        lc.ClockShift(request_id="R-1", slot=0, clock_in=t1, clock_out=t0)
    clock = lc.ClockShift(request_id="R-1", slot=0, clock_in=local, clock_out=t1)
    assert clock.at == t1 and clock.clock_in == t0 and clock.clock_in.tzinfo is timezone.utc
    cancel = lc.CancelRequest(at=t0, request_id="R-1", slots=[1, 0])
    assert cancel.quoted_request_id == "R-1" and cancel.slots == (1, 0)
    assert lc.CancelRequest(at=t0, request_id="R-1", quoted_request_id=None).quoted_request_id is None
    change = lc.ChangeStart(t0, "R-1", local, t1, slots=[0])
    assert change.start == t0 and change.start.tzinfo is timezone.utc and change.slots == (0,)


def test_a_board_that_drops_settled_jobs_has_its_book_forget_their_bookings_but_not_their_hours():
    tz = "America/Los_Angeles"
    boards = [seed_board("lynnwood-wa", ["L1", "L2"], keep_settled=keep) for keep in (True, False)]
    for board in boards:
        board.handle(SubmitRequest(agency="lynnwood-wa", request=seed_request(
            tz, "L-1", "2027-03-01T08:00", "2027-03-10T16:00", "2027-03-10T22:00")))
        board.handle(Accept(at=local(tz, "2027-03-01T09:00"), request_id="L-1", slot=0, badge="L1"))
        board.handle(ClockShift(request_id="L-1", slot=0, clock_in=local(tz, "2027-03-10T16:00"),
                                clock_out=local(tz, "2027-03-10T22:00")))
        board.advance(local(tz, "2027-03-20T00:00"))  # settled
    kept, dropped = boards
    assert kept.book.holder(("L-1", 0)) == "L1" and dropped.book.holder(("L-1", 0)) is None
    assert dropped.book.bookings_of("L1") == [] and len(kept.book.bookings_of("L1")) == 1
    assert kept.book.day_secs == dropped.book.day_secs != {}
    assert billed(kept, "L-1") == billed(dropped, "L-1")


def test_event_instants_are_kept_in_utc_and_checked_where_they_enter():
    """An instant field converts an aware datetime to UTC and refuses a naive one or a
    non-datetime, naming the field, in one step (the converter checks; there is no validator)."""
    from offduty_core.model import Assign, Clock

    local = datetime(2027, 3, 1, 10, tzinfo=ZoneInfo("America/Phoenix"))
    clock = Clock(slot=0, clock_in=local, clock_out=local + timedelta(hours=4))
    assert clock.clock_in == local and clock.clock_in.tzinfo is timezone.utc
    assert Assign(slot=0, officer="117").at is None
    with pytest.raises(InputError, match="^clock_out: .*timezone-aware"):
        Clock(slot=0, clock_in=local, clock_out=datetime(2027, 3, 1, 14))
    with pytest.raises(InputError, match="^at: 'noon'.*timezone-aware"):
        Assign(slot=0, officer="117", at="noon")
    with pytest.raises(InputError, match="^received_at: .*timezone-aware"):
        Request(id="R-1", vendor="v", category="security", received_at=datetime(2027, 3, 1), start=local,
                end=local + timedelta(hours=4))
