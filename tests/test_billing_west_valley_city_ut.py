"""West Valley City UT, billed by hand from the rate sheet as docs/agencies.md reads it.

Totals per hour (officer's share; admin fee = 14 % of the share):
Regular 57.00 (50.00; 7.00), Supervisor 68.40 (60.00; 8.40), Holiday 85.50 (75.00; 10.50),
Emergency 85.50 (75.00; 10.50); Vehicle 1.14 (1.00 to the city) per officer hour with a
marked vehicle.  The highest applicable rate wins.  2 h minimum per request; a supervisor
added for 5 or more officers; less than 72 h notice (71:59) is Emergency, exactly 72 h is not.
Holidays (12:00 am - 11:59 pm): New Year's Eve, New Year's Day, MLK, Presidents', Memorial,
Independence, Labor, Veterans, Thanksgiving, Day after Thanksgiving, Christmas Eve, Christmas
Day, Pioneer Day (24 July); Juneteenth is NOT on the list.  Prohibited: alcohol-focused and
gambling businesses.  Cancellation as Grantsville's with a 48 h window; released early: the
full shift.  America/Denver: DST 2027 starts Sun 14 March, ends Sun 7 November.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from billing_helpers import WVC, before, bill_story, cancel, expect, lines_of, money, postings, story, totals, \
    vendor_lines
from offduty_core.errors import Refusal


def wv(start: str, end: str, **kw) -> dict:
    return story(WVC, start, end, **kw)


START, END4, END8 = "2027-03-10T10:00", "2027-03-10T14:00", "2027-03-10T18:00"
HOLIDAY_4H = expect("342.00",  # 4 h x 85.50
                    "300.00",  # 4 h x 75.00
                    "0.00", "42.00")
REGULAR_4H = expect("228.00",  # 4 h x 57.00
                    "200.00",  # 4 h x 50.00
                    "0.00", "28.00")

WORK = [
    pytest.param(wv(START, END4), REGULAR_4H, id="regular-4h"),
    pytest.param(wv(START, "2027-03-10T11:00"),
                 expect("114.00",  # 1 h x 57 + top-up 1 h x 57
                        "100.00", "0.00", "14.00"),  # 2 x 50.00
                 id="minimum-1h-billed-2h"),
    pytest.param(wv(START, "2027-03-10T13:30"),
                 expect("199.50",  # 3.5 x 57.00
                        "175.00",  # 3.5 x 50.00
                        "0.00", "24.50"),
                 id="regular-3.5h"),
    pytest.param(wv(START, END4, vehicle=True),
                 expect("232.56",  # 228.00 + vehicle 4 x 1.14 = 4.56
                        "200.00", "4.00",  # 4 x 1.00
                        "28.56"),
                 id="vehicle-4h"),
    pytest.param(wv(START, "2027-03-10T11:00", vehicle=True),
                 expect("116.28",  # 114.00 + vehicle on the 2 billed h 2 x 1.14 = 2.28
                        "100.00", "2.00", "14.28"),
                 id="vehicle-minimum"),
    pytest.param(wv(START, END4, officers=0, supervisors=1),
                 expect("273.60",  # 4 x 68.40
                        "240.00",  # 4 x 60.00
                        "0.00", "33.60"),
                 id="supervisor-4h"),
    pytest.param(wv(START, END4, officers=4),
                 expect("912.00",  # 4 x 228.00, no supervisor added
                        "800.00", "0.00", "112.00"),
                 id="4-officers-no-supervisor"),
    pytest.param(wv(START, END4, officers=5),
                 expect("1413.60",  # 5 x 228.00 = 1140.00 + added supervisor 4 x 68.40 = 273.60
                        "1240.00",  # 5 x 200.00 + 4 x 60.00
                        "0.00", "173.60"),
                 id="5-officers-supervisor-added"),
    pytest.param(wv(START, END4, officers=5, supervisors=1),
                 expect("1413.60", "1240.00", "0.00", "173.60"),  # their own supervisor: none added
                 id="5-officers-own-supervisor-none-added"),
    pytest.param(wv("2027-03-14T00:00", "2027-03-14T08:00"),
                 expect("399.00",  # spring forward: 7 real h x 57.00
                        "350.00",  # 7 x 50.00
                        "0.00", "49.00"),
                 id="dst-spring-forward-7h"),
    pytest.param(wv("2027-11-07T00:00", "2027-11-07T08:00"),
                 expect("513.00",  # fall back: 9 real h x 57.00
                        "450.00",  # 9 x 50.00
                        "0.00", "63.00"),
                 id="dst-fall-back-9h"),
    pytest.param(wv("2027-03-13T22:00", "2027-03-14T06:00"),
                 expect("399.00",  # overnight into spring forward: 2 h on the 13th + 5 real h on the 14th = 7 h x 57
                        "350.00", "0.00", "49.00"),
                 id="dst-overnight-spring-7h"),
    pytest.param(wv("2027-11-06T22:00", "2027-11-07T06:00"),
                 expect("513.00",  # overnight into fall back: 2 h + 7 real h = 9 h x 57.00
                        "450.00", "0.00", "63.00"),
                 id="dst-overnight-fall-9h"),
    # --- holidays
    pytest.param(wv("2027-12-25T10:00", "2027-12-25T14:00"), HOLIDAY_4H, id="christmas-day"),
    pytest.param(wv("2027-12-24T10:00", "2027-12-24T14:00"), HOLIDAY_4H, id="christmas-eve"),
    pytest.param(wv("2027-12-31T10:00", "2027-12-31T14:00"), HOLIDAY_4H, id="new-years-eve"),
    pytest.param(wv("2027-07-24T10:00", "2027-07-24T14:00"), HOLIDAY_4H, id="pioneer-day-24-july"),
    pytest.param(wv("2027-07-23T10:00", "2027-07-23T14:00"), REGULAR_4H, id="pioneer-day-observed-friday-regular"),
    pytest.param(wv("2027-11-26T10:00", "2027-11-26T14:00"), HOLIDAY_4H, id="day-after-thanksgiving"),
    pytest.param(wv("2027-11-25T10:00", "2027-11-25T14:00"), HOLIDAY_4H, id="thanksgiving"),
    pytest.param(wv("2027-01-01T10:00", "2027-01-01T14:00"), HOLIDAY_4H, id="new-years-day"),
    pytest.param(wv("2027-01-18T10:00", "2027-01-18T14:00"), HOLIDAY_4H, id="mlk-day"),
    pytest.param(wv("2027-02-15T10:00", "2027-02-15T14:00"), HOLIDAY_4H, id="presidents-day"),
    pytest.param(wv("2027-05-31T10:00", "2027-05-31T14:00"), HOLIDAY_4H, id="memorial-day"),
    pytest.param(wv("2027-07-04T10:00", "2027-07-04T14:00"), HOLIDAY_4H, id="independence-day"),
    pytest.param(wv("2027-09-06T10:00", "2027-09-06T14:00"), HOLIDAY_4H, id="labor-day"),
    pytest.param(wv("2027-11-11T10:00", "2027-11-11T14:00"), HOLIDAY_4H, id="veterans-day"),
    pytest.param(wv("2027-06-19T10:00", "2027-06-19T14:00"), REGULAR_4H, id="juneteenth-is-not-a-wvc-holiday"),
    pytest.param(wv("2027-10-11T10:00", "2027-10-11T14:00"), REGULAR_4H, id="columbus-day-not-listed"),
    pytest.param(wv("2027-12-23T22:00", "2027-12-24T02:00"),
                 expect("285.00",  # Dec 23 2 h x 57.00 = 114.00 + Christmas Eve 2 h x 85.50 = 171.00
                        "250.00",  # 2 x 50.00 + 2 x 75.00
                        "0.00", "35.00"),
                 id="midnight-split-into-christmas-eve"),
    pytest.param(wv("2027-12-24T22:00", "2027-12-25T02:00"), HOLIDAY_4H,  # both dates are holidays
                 id="christmas-eve-into-christmas-day"),
    pytest.param(wv("2027-12-31T22:00", "2028-01-01T02:00"), HOLIDAY_4H,  # New Year's Eve into New Year's Day
                 id="new-years-eve-into-new-years-day"),
    pytest.param(wv("2027-12-25T22:00", "2027-12-26T02:00"),
                 expect("285.00", "250.00", "0.00", "35.00"),  # 2 h holiday 171.00 + 2 h regular 114.00
                 id="midnight-split-out-of-christmas"),
    pytest.param(wv("2027-12-23T20:00", "2027-12-24T00:00"), REGULAR_4H, id="ends-at-midnight-before-holiday"),
    pytest.param(wv("2027-12-25T20:00", "2027-12-26T00:00"), HOLIDAY_4H, id="ends-at-midnight-into-non-holiday"),
    pytest.param(wv("2027-12-23T23:30", "2027-12-24T00:30"),
                 expect("156.75",  # 0.5 x 57 = 28.50 + 0.5 x 85.50 = 42.75 + top-up 1 h at holiday 85.50
                        "137.50",  # 0.5 x 50 = 25.00 + 0.5 x 75 = 37.50 + 1 x 75 = 75.00
                        "0.00", "19.25"),
                 id="minimum-top-up-at-highest-class"),
    pytest.param(wv("2027-12-25T10:00", "2027-12-25T14:00", officers=0, supervisors=1), HOLIDAY_4H,
                 id="supervisor-on-holiday-holiday-rate-wins"),  # 85.50 > 68.40
    pytest.param(wv("2027-12-25T10:00", "2027-12-25T14:00", officers=5),
                 expect("2052.00",  # 5 x 342.00 + added supervisor at holiday 4 x 85.50 = 342.00
                        "1800.00",  # 6 x 300.00
                        "0.00", "252.00"),
                 id="5-officers-on-holiday"),
    # --- emergency notice
    pytest.param(wv(START, END4, received_at=before(START, hours=71, minutes=59)), HOLIDAY_4H,
                 id="notice-71h59-emergency"),  # emergency 4 x 85.50, 4 x 75.00
    pytest.param(wv(START, END4, received_at=before(START, hours=72)), REGULAR_4H, id="notice-exactly-72h-regular"),
    pytest.param(wv(START, END4, received_at=before(START, hours=1)), HOLIDAY_4H, id="notice-1h-emergency"),
    pytest.param(wv(START, "2027-03-10T11:00", received_at=before(START, hours=10)),
                 expect("171.00",  # emergency minimum 2 x 85.50
                        "150.00", "0.00", "21.00"),
                 id="emergency-minimum"),
    pytest.param(wv(START, END4, officers=0, supervisors=1, received_at=before(START, hours=10)), HOLIDAY_4H,
                 id="emergency-beats-supervisor"),  # 85.50 > 68.40
    pytest.param(wv("2027-12-25T10:00", "2027-12-25T14:00", received_at="2027-12-24T10:00"), HOLIDAY_4H,
                 id="emergency-on-holiday-not-stacked"),
    pytest.param(wv(START, END4, officers=5, received_at=before(START, hours=48)),
                 expect("2052.00",  # 6 slots x 4 h x 85.50
                        "1800.00", "0.00", "252.00"),
                 id="emergency-5-officers"),
    # --- early release, clock, payment
    pytest.param(wv(START, END8, events=[{"type": "release", "slot": 0, "at": "2027-03-10T12:00"}]),
                 expect("456.00",  # full shift 8 x 57.00
                        "400.00", "0.00", "56.00"),
                 id="early-release-full-shift"),
    pytest.param(wv(START, END8, events=[cancel("2027-03-10T12:00")]),
                 expect("456.00", "400.00", "0.00", "56.00"),  # cancelled after the start = released
                 id="cancel-after-start-full-shift"),
    pytest.param(wv(START, END4, events=[{"type": "clock", "slot": 0, "in": "2027-03-10T10:05",
                                          "out": "2027-03-10T14:30"}]),
                 expect("251.75",  # 4 h 25 min = 53/12 h x 57 = 251.75
                        "220.83",  # 53/12 x 50 = 220.8333 -> 220.83
                        "0.00", "30.92"),
                 id="clock-actual-hours"),
    pytest.param(wv(START, END4, vehicle=True, events=[{"type": "clock", "slot": 0, "in": "2027-03-10T10:05",
                                                        "out": "2027-03-10T14:30"}]),
                 expect("256.79",  # 251.75 + vehicle 53/12 x 1.14 = 5.035 -> 5.04
                        "220.83", "4.42",  # 53/12 x 1.00 = 4.4167 -> 4.42
                        "31.54"),
                 id="clock-with-vehicle"),
    pytest.param(wv(START, "2027-03-10T13:30", payment="card"),
                 expect("205.49",  # 199.50 + 3 % = 5.985 -> 5.99 (half up; half-even would give 5.98)
                        "175.00", "0.00", "30.49"),
                 id="card-fee-rounds-half-up"),
    pytest.param(wv(START, END4, category="labor_dispute"), REGULAR_4H, id="labour-dispute-allowed-in-wvc"),
]


@pytest.mark.parametrize("data,want", WORK)
def test_work(data, want):
    assert totals(bill_story(data)) == want


def test_hand_helpers_agree():
    # The rounding cases above, through the independent helper.
    assert money("50.00", Fraction(53, 12)) == Decimal("220.83")
    assert money("1.14", Fraction(53, 12)) == Decimal("5.04")
    assert money("199.50", "0.03") == Decimal("5.99")


def test_emergency_note_and_lines():
    result = bill_story(wv(START, END4, received_at=before(START, hours=71, minutes=59)))
    assert result.admission.emergency
    assert vendor_lines(result) == [("85.50", "4.00", "342.00")]
    assert {l["rate_class"] for l in lines_of(result, "vendor")} == {"emergency"}
    assert not bill_story(wv(START, END4, received_at=before(START, hours=72))).admission.emergency


def test_supervisor_added_slot():
    slots = bill_story(wv(START, END4, officers=5)).to_dict()["slots"]
    assert [s["role"] for s in slots] == ["officer"] * 5 + ["supervisor"]
    assert slots[5]["added_by_rule"] is not None
    assert len(bill_story(wv(START, END4, officers=4)).to_dict()["slots"]) == 4


def test_vehicle_line():
    result = bill_story(wv(START, END4, vehicle=True))
    vehicle = [(l["party"], l["hours"], l["rate"], l["amount"]) for l in result.to_dict()["lines"]
               if l["rule"] == "west-valley-city-ut:extra.vehicle"]
    assert sorted(vehicle) == [("city", "4.00", "1.00", "4.00"),  # 4 x 1.00 owed to the city
                               ("vendor", "4.00", "1.14", "4.56")]  # 4 x 1.14
    assert postings(result, "liabilities:payable:city") == Decimal("-4.00")


# --- cancellation ----------------------------------------------------------------------

CANCELS = [
    pytest.param(wv(START, END4, events=[cancel(before(START, hours=48, minutes=1))]),
                 expect("28.00",  # outside: admin fee on 4 scheduled h x 7.00
                        "0.00", "0.00", "28.00"),
                 id="48h-1min-outside"),
    pytest.param(wv(START, END4, events=[cancel(before(START, hours=48))]),
                 expect("128.00",  # exactly 48 h = inside: 2 h x 50.00 = 100.00 + 4 x 7.00 = 28.00
                        "100.00", "0.00", "28.00"),
                 id="exactly-48h-inside"),
    pytest.param(wv(START, END8, events=[cancel(before(START, hours=5))]),
                 expect("156.00",  # 100.00 + 8 x 7.00 = 56.00
                        "100.00", "0.00", "56.00"),
                 id="8h-inside"),
    pytest.param(wv(START, "2027-03-11T16:00", events=[cancel(before(START, days=4))]),
                 expect("168.00",  # 30 h shift outside: fee on the first 24 h x 7.00
                        "0.00", "0.00", "168.00"),
                 id="30h-outside-fee-capped-24h"),
    pytest.param(wv(START, "2027-03-11T16:00", events=[cancel(before(START, hours=5))]),
                 expect("268.00",  # 100.00 + 24 x 7.00 = 168.00
                        "100.00", "0.00", "168.00"),
                 id="30h-inside"),
    pytest.param(wv(START, END4, received_at=before(START, hours=49), events=[cancel(before(START, hours=24))]),
                 expect("192.00",  # emergency request: 2 x 75.00 = 150.00 + fee 4 x 10.50 = 42.00
                        "150.00", "0.00", "42.00"),
                 id="emergency-request-cancelled-inside"),
    pytest.param(wv("2027-12-25T10:00", "2027-12-25T14:00", events=[cancel("2027-12-20T10:00")]),
                 expect("42.00",  # holiday shift outside: fee 4 x 10.50
                        "0.00", "0.00", "42.00"),
                 id="holiday-shift-outside"),
    pytest.param(wv(START, END4, officers=0, supervisors=1, events=[cancel(before(START, hours=5))]),
                 expect("153.60",  # 2 x 60.00 = 120.00 + fee 4 x 8.40 = 33.60
                        "120.00", "0.00", "33.60"),
                 id="supervisor-inside"),
    pytest.param(wv(START, END4, vehicle=True, events=[cancel(before(START, hours=5))]),
                 expect("128.00", "100.00", "0.00", "28.00"),  # no vehicle line: nothing worked
                 id="vehicle-inside"),
    pytest.param(wv(START, END8, events=[{"type": "change_start", "at": before(START, hours=24), "start": START,
                                          "end": END4, "officer_accepts": True}]),
                 expect("256.00",  # shortened inside to 4 h: 4 x 50.00 = 200.00 + fee on the original 8 h x 7 = 56.00
                        "200.00", "0.00", "56.00"),
                 id="shortened-inside"),
    pytest.param(wv(START, END8, events=[{"type": "change_start", "at": before(START, days=5), "start": START,
                                          "end": END4, "officer_accepts": True}]),
                 expect("256.00",  # shortened outside: 4 h worked x 50.00 + fee on the original 8 h x 7.00
                        "200.00", "0.00", "56.00"),
                 id="shortened-outside"),
    pytest.param(wv(START, END4, events=[{"type": "no_show", "slot": 0}]),
                 expect("0.00", "0.00", "0.00", "0.00"), id="no-show-nothing"),
    pytest.param(wv(START, END4, officers=2, events=[{"type": "unfilled", "slot": 1}]),
                 REGULAR_4H, id="one-slot-unfilled"),  # only slot 0: 4 x 57.00, 4 x 50.00
    pytest.param(wv(START, END4, officers=5, events=[cancel(before(START, hours=10), slots=[4])]),
                 expect("1313.60",  # 4 x 228.00 + supervisor 273.60 = 1185.60 + slot 4 inside 128.00
                        "1140.00",  # 4 x 200.00 + 240.00 + 100.00
                        "0.00", "173.60"),
                 id="reduce-one-officer-inside"),
]


@pytest.mark.parametrize("data,want", CANCELS)
def test_cancellation(data, want):
    assert totals(bill_story(data)) == want


@pytest.mark.parametrize("category", ["liquor_establishment", "gambling"])
def test_prohibited_categories_refused(category):
    with pytest.raises(Refusal) as info:
        bill_story(wv(START, END4, category=category))
    assert info.value.rule == f"prohibited-category.{category}"
    assert str(info.value).startswith("west-valley-city-ut:")


def test_emergency_notice_uses_real_elapsed_time_spring():
    # Start Sun 14 March 10:00 MDT, received Thu 11 March 10:00 MST: 72 h on the wall, 71 real hours
    # (spring forward on the 14th): under 72 h, Emergency.
    result = bill_story(wv("2027-03-14T10:00", "2027-03-14T14:00", received_at="2027-03-11T10:00"))
    assert totals(result) == HOLIDAY_4H  # emergency: 4 x 85.50 = 342.00, 4 x 75.00 = 300.00


def test_emergency_notice_uses_real_elapsed_time_fall():
    # Start Sun 7 November 10:00 MST, received Thu 4 November 11:00 MDT: 71 h on the wall, 72 real hours:
    # enough notice, Regular.
    result = bill_story(wv("2027-11-07T10:00", "2027-11-07T14:00", received_at="2027-11-04T11:00"))
    assert totals(result) == REGULAR_4H  # 4 x 57.00 = 228.00, 4 x 50.00 = 200.00


def test_cancellation_window_uses_real_elapsed_time_fall():
    # Start Mon 8 November 10:00 MST, cancelled Sat 6 November 10:30 MDT: 47 h 30 min on the wall,
    # 48 h 30 min in real time: outside the 48 h window, admin fee only.
    result = bill_story(wv("2027-11-08T10:00", "2027-11-08T14:00", events=[cancel("2027-11-06T10:30")]))
    assert totals(result) == expect("28.00", "0.00", "0.00", "28.00")  # 4 x 7.00


def test_dropped_shift_is_paid_to_the_officer_who_works_it():
    result = bill_story(wv(START, END4, events=[{"type": "assign", "slot": 0, "officer": "A"},
                                                {"type": "drop", "slot": 0, "at": before(START, days=2)},
                                                {"type": "assign", "slot": 0, "officer": "B",
                                                 "at": before(START, days=1)}]))
    assert totals(result) == REGULAR_4H  # 4 x 57.00 billed once
    assert {k: v for k, v in result.officer_pay().items() if v} == {"B": Decimal("200.00")}  # 4 x 50.00
