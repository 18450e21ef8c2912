"""Grantsville UT, billed by hand from the rate sheet as docs/agencies.md reads it.

Regular 70.00 per hour = officer 63.50 + admin fee 6.50; 2 h minimum per request; 24 h notice
required (less is refused); no work at labour-dispute sites; no holiday rate.  Cancellation
or reduction after approval: outside 48 h the admin fee on the first 24 scheduled hours;
inside 48 h (exactly 48 h counts as inside) also the greater of hours worked and the 2 h
minimum at the officer's share, which the officer is paid.  An early release is a reduction
inside the window.  America/Denver: DST 2027 starts Sun 14 March, ends Sun 7 November.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_helpers import GRANTSVILLE, before, bill_story, cancel, expect, lines_of, postings, story, totals, \
    vendor_lines
from offduty_core.errors import Refusal


def gv(start: str, end: str, **kw) -> dict:
    return story(GRANTSVILLE, start, end, **kw)


START, END4, END8 = "2027-03-10T10:00", "2027-03-10T14:00", "2027-03-10T18:00"


def release(at: str, slot: int = 0) -> dict:
    return {"type": "release", "slot": slot, "at": at}


def clock(start: str, end: str, slot: int = 0) -> dict:
    return {"type": "clock", "slot": slot, "in": start, "out": end}


CASES = [
    # --- worked as scheduled
    pytest.param(gv(START, END4),
                 expect("280.00",  # 4 h x 70.00
                        "254.00",  # 4 h x 63.50
                        "0.00", "26.00"),  # 280.00 - 254.00
                 id="regular-4h"),
    pytest.param(gv(START, "2027-03-10T11:00"),
                 expect("140.00",  # 1 h x 70 = 70.00 + top-up 1 h x 70 = 70.00
                        "127.00",  # 2 h x 63.50
                        "0.00", "13.00"),
                 id="minimum-1h-billed-2h"),
    pytest.param(gv(START, "2027-03-10T11:30"),
                 expect("140.00",  # 1.5 h x 70 = 105.00 + 0.5 h x 70 = 35.00
                        "127.00",  # 1.5 x 63.50 = 95.25 + 0.5 x 63.50 = 31.75
                        "0.00", "13.00"),
                 id="minimum-1.5h-billed-2h"),
    pytest.param(gv(START, "2027-03-10T11:00", officers=2),
                 expect("280.00",  # 2 slots x 2 h x 70.00
                        "254.00",  # 2 x 2 x 63.50
                        "0.00", "26.00"),
                 id="minimum-per-officer-slot"),
    pytest.param(gv("2027-03-10T22:00", "2027-03-11T06:00"),
                 expect("560.00",  # 8 h x 70.00 across midnight
                        "508.00",  # 8 h x 63.50
                        "0.00", "52.00"),
                 id="overnight"),
    pytest.param(gv("2027-12-25T10:00", "2027-12-25T14:00"),
                 expect("280.00", "254.00", "0.00", "26.00"),  # no holiday rate: 4 x 70, 4 x 63.50
                 id="christmas-no-holiday-rate"),
    pytest.param(gv("2027-03-14T00:00", "2027-03-14T08:00"),
                 expect("490.00",  # spring forward: 7 real h x 70.00
                        "444.50",  # 7 x 63.50
                        "0.00", "45.50"),
                 id="dst-spring-forward-7h"),
    pytest.param(gv("2027-11-07T00:00", "2027-11-07T08:00"),
                 expect("630.00",  # fall back: 9 real h x 70.00
                        "571.50",  # 9 x 63.50
                        "0.00", "58.50"),
                 id="dst-fall-back-9h"),
    pytest.param(gv(START, END4, events=[clock("2027-03-10T10:00", "2027-03-10T14:30")]),
                 expect("315.00",  # clocked 4.5 h x 70.00
                        "285.75",  # 4.5 x 63.50
                        "0.00", "29.25"),
                 id="clock-actual-hours"),
    pytest.param(gv(START, END4, payment="card"),
                 expect("288.40",  # 280.00 + 3 % 8.40
                        "254.00", "0.00", "34.40"),
                 id="card-fee-3-percent"),
    pytest.param(gv(START, END4, payment="ach"),
                 expect("280.00", "254.00", "0.00", "26.00"), id="ach-free"),
    pytest.param(gv(START, END4, received_at=before(START, hours=24)),
                 expect("280.00", "254.00", "0.00", "26.00"),  # exactly 24 h notice: accepted
                 id="notice-exactly-24h-accepted"),
    pytest.param(gv(START, END4, category="traffic_control"),
                 expect("280.00", "254.00", "0.00", "26.00"), id="traffic-control-allowed"),
    # --- cancellations of an 8 h shift (first 24 scheduled hours = 8 h)
    pytest.param(gv(START, END8, events=[cancel(before(START, hours=48, minutes=1))]),
                 expect("52.00",  # outside: admin fee 8 h x 6.50
                        "0.00", "0.00", "52.00"),
                 id="cancel-48h-1min-outside"),
    pytest.param(gv(START, END8, events=[cancel(before(START, days=10))]),
                 expect("52.00", "0.00", "0.00", "52.00"),  # outside: 8 x 6.50
                 id="cancel-10-days-outside"),
    pytest.param(gv(START, END8, events=[cancel(before(START, hours=48))]),
                 expect("179.00",  # exactly 48 h = inside: 2 h min x 63.50 = 127.00 + 8 x 6.50 = 52.00
                        "127.00",  # 2 x 63.50
                        "0.00", "52.00"),
                 id="cancel-exactly-48h-inside"),
    pytest.param(gv(START, END8, events=[cancel(before(START, hours=1))]),
                 expect("179.00", "127.00", "0.00", "52.00"),  # 127.00 + 52.00
                 id="cancel-1h-before-inside"),
    pytest.param(gv(START, "2027-03-11T16:00", events=[cancel(before(START, days=5))]),
                 expect("156.00",  # 30 h shift, outside: fee on the first 24 h only: 24 x 6.50
                        "0.00", "0.00", "156.00"),
                 id="cancel-30h-shift-outside-fee-capped-24h"),
    pytest.param(gv(START, "2027-03-11T16:00", events=[cancel(before(START, hours=12))]),
                 expect("283.00",  # inside: 2 x 63.50 = 127.00 + 24 x 6.50 = 156.00
                        "127.00", "0.00", "156.00"),
                 id="cancel-30h-shift-inside"),
    pytest.param(gv(START, "2027-03-10T11:00", events=[cancel(before(START, hours=12))]),
                 expect("133.50",  # 1 h shift inside: 2 h min x 63.50 = 127.00 + fee 1 h x 6.50 = 6.50
                        "127.00", "0.00", "6.50"),
                 id="cancel-1h-shift-inside"),
    pytest.param(gv(START, END8, received_at="2027-03-01T09:00", approved_at="2027-03-08T09:00",
                    events=[cancel("2027-03-07T09:00")]),
                 expect("0.00", "0.00", "0.00", "0.00"),  # before approval: nothing
                 id="cancel-before-approval"),
    pytest.param(gv(START, END8, officers=2, events=[cancel(before(START, hours=24), slots=[1])]),
                 expect("739.00",  # slot 0 8 x 70 = 560.00; slot 1 inside 127.00 + 52.00 = 179.00
                        "635.00",  # 8 x 63.50 = 508.00 + 127.00
                        "0.00", "104.00"),
                 id="reduce-officers-inside"),
    # --- reductions (shortened before the start, or released after it)
    pytest.param(gv(START, END8, events=[{"type": "change_start", "at": before(START, days=5), "start": START,
                                          "end": END4, "officer_accepts": True}]),
                 expect("306.00",  # outside: 4 h worked x 63.50 = 254.00 + fee on the original 8 h x 6.50 = 52.00
                        "254.00", "0.00", "52.00"),
                 id="shortened-outside"),
    pytest.param(gv(START, END8, events=[{"type": "change_start", "at": before(START, hours=24), "start": START,
                                          "end": "2027-03-10T11:00", "officer_accepts": True}]),
                 expect("179.00",  # inside to 1 h: greater of 1 h and 2 h = 2 x 63.50 = 127.00 + 8 x 6.50 = 52.00
                        "127.00", "0.00", "52.00"),
                 id="shortened-inside-to-1h"),
    pytest.param(gv(START, END8, events=[release("2027-03-10T13:00")]),
                 expect("242.50",  # released after 3 h: 3 x 63.50 = 190.50 + fee 8 x 6.50 = 52.00
                        "190.50", "0.00", "52.00"),
                 id="early-release-is-a-reduction"),
    pytest.param(gv(START, END8, events=[release("2027-03-10T10:30")]),
                 expect("179.00",  # released after 0.5 h: 2 h min x 63.50 = 127.00 + 52.00
                        "127.00", "0.00", "52.00"),
                 id="early-release-under-minimum"),
    pytest.param(gv(START, END8, events=[cancel("2027-03-10T13:00")]),
                 expect("242.50", "190.50", "0.00", "52.00"),  # cancelled after the start = released at 13:00
                 id="cancel-after-start-is-a-reduction"),
]


@pytest.mark.parametrize("data,want", CASES)
def test_grantsville(data, want):
    assert totals(bill_story(data)) == want


def test_inside_cancel_lines():
    result = bill_story(gv(START, END8, events=[cancel(before(START, hours=48))]))
    # 2 h x 63.50 = 127.00 at the officer's share; admin fee 8 h x 6.50 = 52.00
    assert vendor_lines(result) == [("6.50", "8.00", "52.00"), ("63.50", "2.00", "127.00")]
    rules = sorted(l["rule"] for l in lines_of(result, "vendor"))
    assert all(r.startswith("grantsville-ut:cancellation.inside-window") for r in rules)
    assert postings(result, "income:admin-fee") == Decimal("-52.00")


def test_outside_cancel_pays_the_officer_nothing():
    result = bill_story(gv(START, END8, events=[cancel(before(START, days=3))]))
    assert lines_of(result, "officer") == []
    assert vendor_lines(result) == [("6.50", "8.00", "52.00")]  # 8 x 6.50


@pytest.mark.parametrize("notice,shown", [
    pytest.param(dict(hours=23), "23 h", id="23h"),
    pytest.param(dict(hours=23, minutes=59), "23 h 59 min", id="23h59min"),
    pytest.param(dict(hours=10), "10 h", id="10h"),
    pytest.param(dict(hours=0), "0 h", id="0h"),
])
def test_short_notice_refused(notice, shown):
    with pytest.raises(Refusal) as info:
        bill_story(gv(START, END4, received_at=before(START, **notice)))
    assert info.value.rule == "notice"
    message = str(info.value)
    assert "24 h notice" in message
    assert f"gave {shown}" in message


def test_labour_dispute_refused():
    with pytest.raises(Refusal) as info:
        bill_story(gv(START, END4, category="labor_dispute"))
    assert info.value.rule == "prohibited-category.labor_dispute"
    assert "labor_dispute" in str(info.value)


def test_notice_uses_real_elapsed_time_across_dst():
    # Start Sun 14 March 12:00 MDT, received Sat 13 March 12:00 MST: 24 h on the wall but only 23 real
    # hours (the clocks sprang forward at 02:00): less than the 24 h the sheet requires.
    with pytest.raises(Refusal):
        bill_story(gv("2027-03-14T12:00", "2027-03-14T16:00", received_at="2027-03-13T12:00"))


def test_window_uses_real_elapsed_time_across_dst():
    # Start Mon 15 March 10:00 MDT, cancelled Sat 13 March 09:30 MST: 48 h 30 min on the wall,
    # 47 h 30 min in real time: inside the 48 h window.
    result = bill_story(gv("2027-03-15T10:00", "2027-03-15T18:00", events=[cancel("2027-03-13T09:30")]))
    assert totals(result) == expect("179.00",  # 2 x 63.50 = 127.00 + 8 x 6.50 = 52.00
                                    "127.00", "0.00", "52.00")
