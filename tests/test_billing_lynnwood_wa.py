"""Lynnwood WA, billed by hand from the rate sheet as docs/agencies.md reads it.

Regular 170.87, Holiday 282.22 per hour (totals); 4 h minimum per request; twelve holidays
(New Year's Day, MLK Day, Presidents Day, Memorial Day, Juneteenth, Independence Day, Labor
Day, Veterans Day, Thanksgiving, Day After Thanksgiving, Christmas Eve, Christmas Day);
5-day cancellation window: inside, 4 h at the total rate billed and 4 h paid; cancellations
only in writing quoting the request number; a start change the officer cannot work cancels
(window rules) and reposts, the officer barred; early release bills the full shift.
America/Los_Angeles: DST 2027 starts Sun 14 March, ends Sun 7 November.

The officer's share is not published: the plugin's ASSUMPTION parameter
``ASSUMED_OFFICER_SHARE`` (regular 155.34, holiday 256.56) is used for every pay figure, so
these tests follow the parameter if it changes.  Vendor figures are literal.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from billing_helpers import LYNNWOOD, ZERO, before, bill_story, cancel, expect, lines_of, money, postings, story, \
    totals, vendor_lines
from offduty_core.errors import InputError, OffdutyError, Refusal
from offduty_plugins.agencies.lynnwood_wa import ASSUMED_OFFICER_SHARE

SHARE_R = ASSUMED_OFFICER_SHARE["regular"]
SHARE_H = ASSUMED_OFFICER_SHARE["holiday"]


def pay(*pieces: tuple[Decimal, object]) -> Decimal:
    """Officer pay: one pay line per (share, hours) piece, each rounded to the cent."""
    return sum((money(share, hours) for share, hours in pieces), ZERO)


def lw(start: str, end: str, **kw) -> dict:
    return story(LYNNWOOD, start, end, **kw)


def check(result, vendor: str, officer: Decimal) -> None:
    assert totals(result) == expect(vendor, officer, "0.00", Decimal(vendor) - officer)


# --- hours worked as scheduled ----------------------------------------------------------

WORK = [
    pytest.param(lw("2027-03-10T10:00", "2027-03-10T14:00"),
                 "683.48",  # 4 h x 170.87 = 683.48
                 pay((SHARE_R, 4)), id="regular-4h"),
    pytest.param(lw("2027-03-10T10:00", "2027-03-10T18:00"),
                 "1366.96",  # 8 h x 170.87 = 1366.96
                 pay((SHARE_R, 8)), id="regular-8h"),
    pytest.param(lw("2027-03-10T10:00", "2027-03-10T15:30"),
                 "939.79",  # 5.5 h x 170.87 = 939.785 -> 939.79 (half up)
                 pay((SHARE_R, "5.5")), id="regular-5.5h-rounds-half-up"),
    pytest.param(lw("2027-03-10T10:00", "2027-03-10T11:00"),
                 "683.48",  # 1 h x 170.87 = 170.87 + minimum top-up 3 h x 170.87 = 512.61 -> 683.48
                 pay((SHARE_R, 1), (SHARE_R, 3)), id="minimum-1h-billed-4h"),
    pytest.param(lw("2027-03-10T10:00", "2027-03-10T12:30"),
                 # 4 h (2.5 worked + 1.5 top-up) x 170.87 = 683.48: lines of one class are rounded
                 # cumulatively (427.18, then 683.48 - 427.18 = 256.30), as one 4-hour line would be
                 "683.48",
                 pay((SHARE_R, 4)), id="minimum-2.5h-same-as-4h"),
    pytest.param(lw("2027-03-10T10:00", "2027-03-10T11:00", officers=2),
                 "1366.96",  # per slot: 170.87 + 512.61 = 683.48; x 2 slots = 1366.96
                 2 * pay((SHARE_R, 1), (SHARE_R, 3)), id="minimum-per-officer-slot"),
    pytest.param(lw("2027-12-25T10:00", "2027-12-25T14:00"),
                 "1128.88",  # 4 h x 282.22 = 1128.88
                 pay((SHARE_H, 4)), id="christmas-day-holiday-rate"),
    pytest.param(lw("2027-12-25T10:00", "2027-12-25T11:00"),
                 "1128.88",  # 1 h x 282.22 = 282.22 + top-up 3 h x 282.22 = 846.66 -> 1128.88
                 pay((SHARE_H, 1), (SHARE_H, 3)), id="holiday-minimum-1h"),
    pytest.param(lw("2027-12-23T22:00", "2027-12-24T02:00"),
                 "906.18",  # Dec 23: 2 h x 170.87 = 341.74; Christmas Eve: 2 h x 282.22 = 564.44; = 906.18
                 pay((SHARE_R, 2), (SHARE_H, 2)), id="midnight-split-into-christmas-eve"),
    pytest.param(lw("2027-12-24T22:00", "2027-12-25T02:00"),
                 "1128.88",  # Christmas Eve 2 h + Christmas Day 2 h, both holidays: 4 h x 282.22 = 1128.88
                 pay((SHARE_H, 4)), id="midnight-christmas-eve-into-christmas-day"),
    pytest.param(lw("2027-12-25T22:00", "2027-12-26T02:00"),
                 "906.18",  # Christmas Day 2 h x 282.22 = 564.44; Dec 26 2 h x 170.87 = 341.74; = 906.18
                 pay((SHARE_H, 2), (SHARE_R, 2)), id="midnight-split-out-of-christmas"),
    pytest.param(lw("2027-12-23T20:00", "2027-12-24T00:00"),
                 "683.48",  # ends at the holiday's midnight: 0 holiday hours; 4 h x 170.87 = 683.48
                 pay((SHARE_R, 4)), id="ends-at-midnight-before-holiday"),
    pytest.param(lw("2027-12-25T20:00", "2027-12-26T00:00"),
                 "1128.88",  # all 4 h on Christmas Day, ends at midnight into a non-holiday: 4 x 282.22
                 pay((SHARE_H, 4)), id="ends-at-midnight-into-non-holiday"),
    pytest.param(lw("2027-12-23T23:30", "2027-12-24T00:30"),
                 # Dec 23: 0.5 h x 170.87 = 85.435 -> 85.44; Christmas Eve 0.5 h x 282.22 = 141.11;
                 # top-up 3 h at the highest class worked (holiday): 3 x 282.22 = 846.66; = 1073.21
                 "1073.21",
                 pay((SHARE_R, "0.5"), (SHARE_H, "0.5"), (SHARE_H, 3)), id="minimum-top-up-at-highest-class"),
    pytest.param(lw("2027-03-14T00:00", "2027-03-14T08:00"),
                 "1196.09",  # spring forward: 8 h on the wall = 7 real h; 7 x 170.87 = 1196.09
                 pay((SHARE_R, 7)), id="dst-spring-forward-7h"),
    pytest.param(lw("2027-11-07T00:00", "2027-11-07T08:00"),
                 "1537.83",  # fall back: 8 h on the wall = 9 real h; 9 x 170.87 = 1537.83
                 pay((SHARE_R, 9)), id="dst-fall-back-9h"),
    pytest.param(lw("2027-06-18T10:00", "2027-06-18T14:00"),
                 "683.48",  # Juneteenth 2027 is Sat 19 June; Friday the 18th (observed) is regular: 4 x 170.87
                 pay((SHARE_R, 4)), id="juneteenth-observed-friday-is-regular"),
    pytest.param(lw("2027-07-05T10:00", "2027-07-05T14:00"),
                 "683.48",  # 4 July 2027 is a Sunday; Monday the 5th (observed) is regular: 4 x 170.87
                 pay((SHARE_R, 4)), id="independence-day-observed-monday-is-regular"),
    pytest.param(lw("2027-12-31T10:00", "2027-12-31T14:00"),
                 "683.48",  # New Year's Eve is not on Lynnwood's list: 4 x 170.87
                 pay((SHARE_R, 4)), id="new-years-eve-not-a-lynnwood-holiday"),
    pytest.param(lw("2027-10-11T10:00", "2027-10-11T14:00"),
                 "683.48",  # Columbus Day is not on Lynnwood's list: 4 x 170.87
                 pay((SHARE_R, 4)), id="columbus-day-not-a-lynnwood-holiday"),
]


@pytest.mark.parametrize("data,vendor,officer", WORK)
def test_work(data, vendor, officer):
    check(bill_story(data), vendor, officer)


HOLIDAYS_2027 = [
    ("2027-01-01", "new-years-day"), ("2027-01-18", "mlk-day"), ("2027-02-15", "presidents-day"),
    ("2027-05-31", "memorial-day"), ("2027-06-19", "juneteenth"), ("2027-07-04", "independence-day"),
    ("2027-09-06", "labor-day"), ("2027-11-11", "veterans-day"), ("2027-11-25", "thanksgiving"),
    ("2027-11-26", "day-after-thanksgiving"), ("2027-12-24", "christmas-eve"), ("2027-12-25", "christmas-day"),
]


@pytest.mark.parametrize("day", [pytest.param(d, id=name) for d, name in HOLIDAYS_2027])
def test_every_listed_holiday_bills_the_holiday_rate(day):
    result = bill_story(lw(f"{day}T10:00", f"{day}T14:00"))
    check(result, "1128.88", pay((SHARE_H, 4)))  # 4 h x 282.22 = 1128.88
    assert vendor_lines(result) == [("282.22", "4.00", "1128.88")]


def test_midnight_split_lines():
    result = bill_story(lw("2027-12-23T22:00", "2027-12-24T02:00"))
    # 2 h x 170.87 = 341.74 on Dec 23, 2 h x 282.22 = 564.44 on Christmas Eve
    assert vendor_lines(result) == [("170.87", "2.00", "341.74"), ("282.22", "2.00", "564.44")]
    assert any("Christmas Eve" in l["description"] for l in lines_of(result, "vendor"))


def test_minimum_top_up_line():
    result = bill_story(lw("2027-03-10T10:00", "2027-03-10T11:00"))
    # One line for the hours billed: 1 h worked, billed to the 4 h minimum: 4 x 170.87 = 683.48
    assert vendor_lines(result) == [("170.87", "4.00", "683.48")]
    (line,) = lines_of(result, "vendor")
    assert line["rule"].endswith("minimum-hours") and "1 h worked" in line["description"], line
    assert "4 h minimum" in line["description"], line


# --- cancellations ----------------------------------------------------------------------

START, END8 = "2027-03-10T10:00", "2027-03-10T18:00"  # an 8-hour Wednesday shift

CANCELS = [
    pytest.param(lw(START, END8, events=[cancel(before(START, days=5))]),
                 "683.48",  # exactly 5 days before = inside; 4 h x 170.87 = 683.48
                 pay((SHARE_R, 4)), id="exactly-5-days-inside"),
    pytest.param(lw(START, END8, events=[cancel(before(START, days=5, minutes=1))]),
                 "0.00",  # 5 days 1 minute before: outside, nothing
                 ZERO, id="5-days-1-minute-outside"),
    pytest.param(lw(START, END8, events=[cancel(before(START, days=1))]),
                 "683.48",  # inside: 4 h x 170.87 = 683.48 (not the 8 scheduled)
                 pay((SHARE_R, 4)), id="one-day-before-inside"),
    pytest.param(lw(START, END8, events=[cancel(before(START, days=2), channel="portal")]),
                 "683.48",  # the portal is in writing: 4 h x 170.87 = 683.48
                 pay((SHARE_R, 4)), id="portal-is-in-writing"),
    pytest.param(lw(START, "2027-03-10T12:00", events=[cancel(before(START, days=1))]),
                 "683.48",  # a 2 h shift cancelled inside: still the 4 h minimum: 2 x 341.74 = 683.48
                 pay((SHARE_R, 2), (SHARE_R, 2)), id="short-shift-charged-4h"),
    pytest.param(lw("2027-12-25T10:00", "2027-12-25T18:00", events=[cancel("2027-12-22T10:00")]),
                 "1128.88",  # Christmas shift, hours drawn from its start: 4 h x 282.22 = 1128.88
                 pay((SHARE_H, 4)), id="christmas-shift-inside-holiday-rate"),
    pytest.param(lw("2027-12-23T22:00", "2027-12-24T06:00", events=[cancel("2027-12-21T10:00")]),
                 # first 4 scheduled hours: Dec 23 2 h x 170.87 = 341.74 + Christmas Eve 2 h x 282.22
                 # = 564.44; = 906.18
                 "906.18",
                 pay((SHARE_R, 2), (SHARE_H, 2)), id="hours-drawn-from-the-start-of-the-shift"),
    pytest.param(lw(START, END8, received_at=before(START, days=2), events=[cancel(before(START, days=1))]),
                 "683.48",  # received inside the window: subject to it at once; 4 x 170.87
                 pay((SHARE_R, 4)), id="received-inside-window-then-cancelled"),
    pytest.param(lw(START, END8, received_at="2027-03-01T09:00", approved_at="2027-03-08T09:00",
                    events=[cancel("2027-03-07T09:00")]),
                 "0.00",  # cancelled before approval: no charge
                 ZERO, id="cancelled-before-approval"),
    pytest.param(lw(START, END8, officers=2, events=[cancel(before(START, days=1), slots=[1])]),
                 "2050.44",  # slot 0 works 8 h x 170.87 = 1366.96; slot 1 cancelled inside 4 x 170.87 = 683.48
                 pay((SHARE_R, 8), (SHARE_R, 4)), id="one-of-two-slots-cancelled-inside"),
    pytest.param(lw(START, END8, events=[{"type": "change_start", "at": before(START, days=2), "start": START,
                                          "end": "2027-03-10T12:00", "officer_accepts": True}]),
                 "683.48",  # shortened inside 5 days to 2 h: still the 4 h minimum, 2 x 341.74 = 683.48
                 pay((SHARE_R, 2), (SHARE_R, 2)), id="shortened-inside-to-2h-charged-4h"),
    pytest.param(lw(START, END8, events=[cancel("2027-03-10T12:00")]),
                 "1366.96",  # cancelled after the start = released: full shift 8 h x 170.87 = 1366.96
                 pay((SHARE_R, 8)), id="cancelled-after-start-full-shift"),
]


@pytest.mark.parametrize("data,vendor,officer", CANCELS)
def test_cancellation(data, vendor, officer):
    check(bill_story(data), vendor, officer)


@pytest.mark.parametrize("event,rule,words", [
    pytest.param(cancel(before(START, days=1), channel="phone"), "cancellation.in-writing", ["writing", "phone"],
                 id="by-phone"),
    pytest.param(cancel(before(START, days=1), request_id="R-2"), "cancellation.request-number", ["R-1", "R-2"],
                 id="wrong-request-number"),
    pytest.param(cancel(before(START, days=1), request_id=None), "cancellation.request-number", ["R-1"],
                 id="no-request-number"),
    pytest.param(cancel(before(START, days=10), channel="phone"), "cancellation.in-writing", ["phone"],
                 id="by-phone-outside-window"),
])
def test_cancellation_refused(event, rule, words):
    with pytest.raises(Refusal) as info:
        bill_story(lw(START, END8, events=[event]))
    assert info.value.rule == rule
    message = str(info.value)
    assert message.startswith("lynnwood-wa:")
    for word in words:
        assert word in message


# --- start-time changes -----------------------------------------------------------------

ORIG_START, ORIG_END = "2027-03-10T10:00", "2027-03-10T14:00"
NEW_START, NEW_END = "2027-03-10T12:00", "2027-03-10T18:00"  # 6 h


def change(at: str, accepts: bool) -> dict:
    return {"type": "change_start", "at": at, "start": NEW_START, "end": NEW_END, "officer_accepts": accepts}


def assign(officer: str, at: str | None = None) -> dict:
    event = {"type": "assign", "slot": 0, "officer": officer}
    if at is not None:
        event["at"] = at
    return event


CHANGES = [
    pytest.param(change(before(ORIG_START, days=5), False),
                 # inside (exactly 5 days): A gets the 4 h charge 4 x 170.87 = 683.48;
                 # B works the new 6 h 6 x 170.87 = 1025.22; = 1708.70
                 "1708.70", {"A": pay((SHARE_R, 4)), "B": pay((SHARE_R, 6))}, id="inside-window-declined"),
    pytest.param(change(before(ORIG_START, days=2), False),
                 "1708.70",  # inside: 683.48 + 1025.22
                 {"A": pay((SHARE_R, 4)), "B": pay((SHARE_R, 6))}, id="two-days-before-declined"),
    pytest.param(change(before(ORIG_START, days=5, minutes=1), False),
                 "1025.22",  # outside: no charge or pay for A; B works 6 x 170.87 = 1025.22
                 {"B": pay((SHARE_R, 6))}, id="outside-window-declined"),
    pytest.param(change(before(ORIG_START, days=2), True),
                 "1025.22",  # A accepts and works the new 6 h: 6 x 170.87 = 1025.22
                 {"A": pay((SHARE_R, 6))}, id="inside-window-accepted"),
]


@pytest.mark.parametrize("event,vendor,per_officer", CHANGES)
def test_start_time_change(event, vendor, per_officer):
    events = [assign("A"), event]
    if not event["officer_accepts"]:
        events.append(assign("B", at=before(ORIG_START, days=1)))
    result = bill_story(lw(ORIG_START, ORIG_END, events=events))
    officer_total = sum(per_officer.values(), ZERO)
    check(result, vendor, officer_total)
    assert {k: v for k, v in result.officer_pay().items() if v} == per_officer
    # The new times are billed in full to whoever works them (6 h), never the old 4 h.
    worked = [l for l in lines_of(result, "vendor") if l["officer"] == ("A" if event["officer_accepts"] else "B")]
    assert sum(Decimal(l["hours"]) for l in worked) == Decimal("6.00")


def test_declined_change_inside_window_lines():
    result = bill_story(lw(ORIG_START, ORIG_END, events=[assign("A"), change(before(ORIG_START, days=3), False),
                                                          assign("B", at=before(ORIG_START, days=1))]))
    a_lines = [l for l in lines_of(result, "vendor") if l["officer"] == "A"]
    assert [(l["rate"], l["hours"], l["amount"]) for l in a_lines] == [("170.87", "4.00", "683.48")]  # 4 x 170.87
    assert all("start-change.inside-window" in l["rule"] for l in a_lines)


def test_barred_officer_cannot_take_the_repost():
    data = lw(ORIG_START, ORIG_END, events=[assign("A"), change(before(ORIG_START, days=3), False),
                                            assign("A", at=before(ORIG_START, days=1))])
    with pytest.raises(Refusal) as info:
        bill_story(data)
    assert info.value.rule == "repost.barred"
    assert "A" in str(info.value)


def test_barred_also_outside_the_window():
    data = lw(ORIG_START, ORIG_END, events=[assign("A"), change(before(ORIG_START, days=9), False),
                                            assign("A", at=before(ORIG_START, days=1))])
    with pytest.raises(Refusal):
        bill_story(data)


# --- early release, clock in/out, payment -------------------------------------------------

OTHER = [
    pytest.param(lw(START, END8, events=[{"type": "release", "slot": 0, "at": "2027-03-10T12:00"}]),
                 "1366.96",  # released after 2 h: full 8 h x 170.87 = 1366.96
                 pay((SHARE_R, 8)), id="early-release-full-shift"),
    pytest.param(lw(START, END8, events=[{"type": "clock", "slot": 0, "in": "2027-03-10T10:00",
                                          "out": "2027-03-10T12:00"},
                                         {"type": "release", "slot": 0, "at": "2027-03-10T12:00"}]),
                 "1366.96",  # clocked out at the release: still the full 8 h x 170.87
                 pay((SHARE_R, 8)), id="early-release-with-clock"),
    pytest.param(lw(ORIG_START, ORIG_END, events=[{"type": "clock", "slot": 0, "in": "2027-03-10T10:05",
                                                   "out": "2027-03-10T14:30"}]),
                 "754.68",  # 4 h 25 min = 53/12 h; 170.87 x 53/12 = 754.675833 -> 754.68
                 pay((SHARE_R, Fraction(53, 12))), id="clock-actual-hours"),
    pytest.param(lw(ORIG_START, ORIG_END, events=[{"type": "clock", "slot": 0, "in": "2027-03-10T10:00",
                                                   "out": "2027-03-10T11:00"}]),
                 "683.48",  # clocked 1 h: 170.87 + top-up 3 h 512.61 = 683.48
                 pay((SHARE_R, 1), (SHARE_R, 3)), id="clock-under-minimum"),
    pytest.param(lw("2027-12-23T20:00", "2027-12-24T00:00",
                    events=[{"type": "clock", "slot": 0, "in": "2027-12-23T20:00", "out": "2027-12-24T01:00"}]),
                 "965.70",  # 4 h x 170.87 = 683.48 + 1 h into Christmas Eve x 282.22 = 965.70
                 pay((SHARE_R, 4), (SHARE_H, 1)), id="clock-past-midnight-into-holiday"),
    pytest.param(lw(ORIG_START, ORIG_END, events=[{"type": "unfilled", "slot": 0}]),
                 "0.00", ZERO, id="unfilled-slot-nothing"),
    pytest.param(lw(ORIG_START, ORIG_END, payment="ach"),
                 "683.48", pay((SHARE_R, 4)), id="ach-no-fee"),  # 4 x 170.87, ACH free
    pytest.param(lw(ORIG_START, ORIG_END, payment="check"),
                 "683.48", pay((SHARE_R, 4)), id="check-no-fee"),
    pytest.param(lw(ORIG_START, ORIG_END, payment="card"),
                 "703.98",  # 683.48 + 3 % = 20.5044 -> 20.50; = 703.98
                 pay((SHARE_R, 4)), id="card-fee-3-percent"),
]


@pytest.mark.parametrize("data,vendor,officer", OTHER)
def test_release_clock_payment(data, vendor, officer):
    check(bill_story(data), vendor, officer)


def test_card_fee_line_and_ledger():
    result = bill_story(lw(ORIG_START, ORIG_END, payment="card"))
    card = [l for l in lines_of(result, "vendor") if l["rate"] is None]
    assert [l["amount"] for l in card] == ["20.50"]  # 683.48 x 0.03 = 20.5044 -> 20.50
    assert result.card_fee_total == Decimal("20.50")
    assert postings(result, "income:card-fee") == Decimal("-20.50")


def test_officer_share_is_an_assumption_parameter():
    result = bill_story(lw(ORIG_START, ORIG_END))
    # The vendor pays the published total; the officer line uses the assumed share.
    pay_lines = lines_of(result, "officer")
    assert [Decimal(l["rate"]) for l in pay_lines] == [SHARE_R]
    assert postings(result, "income:admin-fee") == -(Decimal("683.48") - money(SHARE_R, 4))


def test_scribe_positions_are_not_offered():
    with pytest.raises(OffdutyError) as info:
        bill_story(lw(ORIG_START, ORIG_END, officers=0, scribes=1))
    assert "scribe" in str(info.value)


def test_window_uses_real_elapsed_time_across_dst():
    # Start Tue 16 March 10:00 PDT; cancelled Thu 11 March 09:30 PST: on the wall 5 d 0 h 30 min,
    # in real time 4 d 23 h 30 min (the clocks sprang forward on the 14th): inside the 5 days.
    data = lw("2027-03-16T10:00", "2027-03-16T18:00", events=[cancel("2027-03-11T09:30")])
    check(bill_story(data), "683.48", pay((SHARE_R, 4)))  # 4 h x 170.87 = 683.48


def test_malformed_times_are_input_errors():
    with pytest.raises(InputError) as info:
        bill_story(lw("2027-03-14T02:30", "2027-03-14T06:00"))  # skipped by spring forward
    assert info.value.field == "request.start"
