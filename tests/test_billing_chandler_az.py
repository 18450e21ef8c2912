"""Chandler AZ, billed by hand from the rate sheet as docs/agencies.md reads it.

Totals per hour (officer's share; 11 % fee = total - share):
Regular 83.28 (75.03; 8.25), Supervisor 108.62 (97.86; 10.76), Scribe 66.65 (60.05; 6.60),
published 66.65 although 60.05 x 1.11 = 66.6555.  On every officer hour billed: Vehicle 6.66
(6.00 to the city) when the request has a marked vehicle, City Workers' Comp 2.78 (2.50 to the
city).  2 h minimum per request; a supervisor added for 4 or more officers (none when one is
requested); prohibited: liquor establishments, civil process, accident reconstruction,
polygraph.  Inside 24 h (exactly 24 h is inside) a cancellation or reduction costs the greater
of hours worked and 2 h at the officer's share plus the fee on the first 24 scheduled hours;
the officer is paid at least 3 h and the operator absorbs the difference
(expenses:absorbed-officer-pay).  Outside 24 h: nothing.  America/Phoenix keeps no daylight
saving, so an 8-hour wall span on the US change dates is 8 hours.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_helpers import CHANDLER, before, bill_story, cancel, expect, lines_of, postings, story, totals, \
    vendor_lines
from offduty_core.errors import Refusal


def ch(start: str, end: str, **kw) -> dict:
    return story(CHANDLER, start, end, **kw)


START, END4, END8 = "2027-03-10T10:00", "2027-03-10T14:00", "2027-03-10T18:00"

WORK = [
    pytest.param(ch(START, END4),
                 expect("344.24",  # 4 h x 83.28 = 333.12 + workers' comp 4 x 2.78 = 11.12
                        "300.12",  # 4 x 75.03
                        "10.00",  # 4 x 2.50
                        "34.12"),  # 344.24 - 300.12 - 10.00
                 id="officer-4h"),
    pytest.param(ch(START, END4, vehicle=True),
                 expect("370.88",  # 333.12 + 11.12 + vehicle 4 x 6.66 = 26.64
                        "300.12",
                        "34.00",  # 4 x 2.50 + 4 x 6.00 = 10.00 + 24.00
                        "36.76"),  # 370.88 - 300.12 - 34.00
                 id="officer-4h-vehicle"),
    pytest.param(ch(START, "2027-03-10T11:00"),
                 expect("172.12",  # 1 h 83.28 + top-up 1 h 83.28 = 166.56 + comp 2 x 2.78 = 5.56
                        "150.06",  # 2 x 75.03
                        "5.00",  # 2 x 2.50
                        "17.06"),
                 id="minimum-1h-billed-2h"),
    pytest.param(ch(START, "2027-03-10T11:00", vehicle=True),
                 expect("185.44",  # 166.56 + 5.56 + vehicle 2 x 6.66 = 13.32
                        "150.06", "17.00",  # 5.00 + 2 x 6.00
                        "18.38"),
                 id="minimum-with-vehicle"),
    pytest.param(ch(START, END4, officers=0, scribes=1),
                 expect("277.72",  # scribe 4 x 66.65 = 266.60 + comp 11.12
                        "240.20",  # 4 x 60.05
                        "10.00", "27.52"),
                 id="scribe-4h-billed-66.65"),
    pytest.param(ch(START, "2027-03-10T13:00", officers=0, scribes=1),
                 expect("208.29",  # 3 x 66.65 = 199.95 (not 3 x 66.66 = 199.98) + comp 3 x 2.78 = 8.34
                        "180.15",  # 3 x 60.05
                        "7.50", "20.64"),
                 id="scribe-3h"),
    pytest.param(ch(START, "2027-03-10T11:00", officers=0, scribes=1),
                 expect("138.86",  # scribe minimum 2 x 66.65 = 133.30 + comp 5.56
                        "120.10", "5.00", "13.76"),
                 id="scribe-minimum"),
    pytest.param(ch(START, END4, officers=0, supervisors=1),
                 expect("445.60",  # 4 x 108.62 = 434.48 + comp 11.12
                        "391.44",  # 4 x 97.86
                        "10.00", "44.16"),
                 id="supervisor-4h"),
    pytest.param(ch(START, END4, officers=3),
                 expect("1032.72",  # 3 x 344.24, no supervisor added
                        "900.36",  # 3 x 300.12
                        "30.00", "102.36"),
                 id="3-officers-no-supervisor"),
    pytest.param(ch(START, END4, officers=3, scribes=1),
                 expect("1310.44",  # 3 x 344.24 = 1032.72 + scribe 277.72; scribes do not count
                        "1140.56",  # 900.36 + 240.20
                        "40.00", "129.88"),
                 id="3-officers-and-a-scribe-no-supervisor"),
    pytest.param(ch(START, END4, officers=4),
                 expect("1822.56",  # 4 x 344.24 = 1376.96 + added supervisor 445.60
                        "1591.92",  # 4 x 300.12 = 1200.48 + 391.44
                        "50.00",  # 5 slots x 10.00
                        "180.64"),
                 id="4-officers-supervisor-added"),
    pytest.param(ch(START, END4, officers=4, supervisors=1),
                 expect("1822.56", "1591.92", "50.00", "180.64"),  # their own supervisor: none added
                 id="4-officers-own-supervisor-none-added"),
    pytest.param(ch(START, END4, officers=4, supervisors=2),
                 expect("2268.16",  # 1376.96 + 2 x 445.60 = 891.20
                        "1983.36",  # 1200.48 + 2 x 391.44 = 782.88
                        "60.00", "224.80"),
                 id="4-officers-two-own-supervisors"),
    pytest.param(ch(START, END4, officers=2, vehicle=True),
                 expect("741.76",  # 2 slots x 370.88 (vehicle on every officer hour)
                        "600.24", "68.00", "73.52"),
                 id="two-officers-vehicle"),
    pytest.param(ch("2027-03-14T00:00", "2027-03-14T08:00"),
                 expect("688.48",  # no DST in Arizona: 8 h x 83.28 = 666.24 + 8 x 2.78 = 22.24
                        "600.24",  # 8 x 75.03
                        "20.00", "68.24"),
                 id="us-spring-forward-date-still-8h"),
    pytest.param(ch("2027-11-07T00:00", "2027-11-07T08:00"),
                 expect("688.48", "600.24", "20.00", "68.24"),  # 8 h again
                 id="us-fall-back-date-still-8h"),
    pytest.param(ch("2027-12-25T10:00", "2027-12-25T14:00"),
                 expect("344.24", "300.12", "10.00", "34.12"),  # no holiday rate in Chandler
                 id="christmas-regular"),
    pytest.param(ch("2027-03-10T22:00", "2027-03-11T06:00"),
                 expect("688.48", "600.24", "20.00", "68.24"),  # 8 h across midnight
                 id="overnight"),
    pytest.param(ch(START, END4, events=[{"type": "clock", "slot": 0, "in": START, "out": "2027-03-10T14:30"}]),
                 expect("387.27",  # 4.5 x 83.28 = 374.76 + 4.5 x 2.78 = 12.51
                        "337.64",  # 4.5 x 75.03 = 337.635 -> 337.64
                        "11.25",  # 4.5 x 2.50
                        "38.38"),
                 id="clock-actual-hours"),
    pytest.param(ch(START, END4, payment="card"),
                 expect("354.57",  # 344.24 + 3 % = 10.3272 -> 10.33
                        "300.12", "10.00", "44.45"),
                 id="card-fee"),
    pytest.param(ch(START, END4, category="labor_dispute"),
                 expect("344.24", "300.12", "10.00", "34.12"), id="labour-dispute-allowed-in-chandler"),
]


@pytest.mark.parametrize("data,want", WORK)
def test_work(data, want):
    assert totals(bill_story(data)) == want


def test_vehicle_and_workers_comp_lines():
    result = bill_story(ch(START, END4, vehicle=True))
    by_rule = {(l["party"], l["rule"]): (l["hours"], l["rate"], l["amount"]) for l in result.to_dict()["lines"]
               if "extra." in l["rule"]}
    assert by_rule == {
        ("vendor", "chandler-az:extra.vehicle"): ("4.00", "6.66", "26.64"),  # 4 x 6.66
        ("city", "chandler-az:extra.vehicle"): ("4.00", "6.00", "24.00"),  # 4 x 6.00
        ("vendor", "chandler-az:extra.workers_comp"): ("4.00", "2.78", "11.12"),  # 4 x 2.78
        ("city", "chandler-az:extra.workers_comp"): ("4.00", "2.50", "10.00"),  # 4 x 2.50
    }
    assert postings(result, "liabilities:payable:city") == Decimal("-34.00")
    # The city lines' own fee (0.66 + 0.28 an hour) is admin fee: 4 x 8.25 + 4 x 0.66 + 4 x 0.28 = 36.76
    assert postings(result, "income:admin-fee") == Decimal("-36.76")


def test_supervisor_added_slot():
    result = bill_story(ch(START, END4, officers=4))
    slots = result.to_dict()["slots"]
    assert [s["role"] for s in slots] == ["officer"] * 4 + ["supervisor"]
    assert slots[4]["added_by_rule"] is not None
    assert ("108.62", "4.00", "434.48") in vendor_lines(result)  # 4 x 108.62
    own = bill_story(ch(START, END4, officers=4, supervisors=1)).to_dict()["slots"]
    assert [s["added_by_rule"] for s in own] == [None] * 5


def test_scribe_is_billed_the_published_66_65():
    result = bill_story(ch(START, END4, officers=0, scribes=1))
    assert ("66.65", "4.00", "266.60") in vendor_lines(result)  # 4 x 66.65 (4 x 66.66 would be 266.64)


# --- cancellation ----------------------------------------------------------------------

CANCELS = [
    pytest.param(ch(START, END4, events=[cancel(before(START, hours=24))]),
                 expect("183.06",  # exactly 24 h = inside: 2 h x 75.03 = 150.06 + fee 4 h x 8.25 = 33.00
                        "225.09",  # the officer is paid 3 h x 75.03
                        "0.00",  # nothing worked: no city lines
                        "-42.03"),  # 183.06 - 225.09
                 "75.03",  # absorbed: 225.09 - 150.06
                 id="exactly-24h-inside"),
    pytest.param(ch(START, END4, events=[cancel(before(START, hours=24, minutes=1))]),
                 expect("0.00", "0.00", "0.00", "0.00"), "0.00",  # 24 h 1 min: outside, nothing
                 id="24h-1min-outside"),
    pytest.param(ch(START, END4, events=[cancel(before(START, days=5))]),
                 expect("0.00", "0.00", "0.00", "0.00"), "0.00", id="5-days-outside"),
    pytest.param(ch(START, END4, events=[cancel(before(START, hours=1))]),
                 expect("183.06", "225.09", "0.00", "-42.03"), "75.03", id="1h-before-inside"),
    pytest.param(ch(START, END4, vehicle=True, events=[cancel(before(START, hours=2))]),
                 expect("183.06", "225.09", "0.00", "-42.03"), "75.03",  # no vehicle/comp: no hours worked
                 id="inside-with-vehicle"),
    pytest.param(ch(START, END8, events=[cancel(before(START, hours=12))]),
                 expect("216.06",  # 150.06 + fee 8 x 8.25 = 66.00
                        "225.09", "0.00", "-9.03"), "75.03",
                 id="8h-shift-inside"),
    pytest.param(ch(START, "2027-03-11T16:00", events=[cancel(before(START, hours=12))]),
                 expect("348.06",  # 30 h shift: 150.06 + fee on the first 24 h only: 24 x 8.25 = 198.00
                        "225.09", "0.00", "122.97"), "75.03",
                 id="30h-shift-inside-fee-capped-24h"),
    pytest.param(ch(START, "2027-03-10T11:00", events=[cancel(before(START, hours=12))]),
                 expect("158.31",  # 1 h shift: 2 h min x 75.03 = 150.06 + fee 1 h x 8.25 = 8.25
                        "225.09", "0.00", "-66.78"), "75.03",
                 id="1h-shift-inside"),
    pytest.param(ch(START, END4, officers=0, scribes=1, events=[cancel(before(START, hours=12))]),
                 expect("146.50",  # scribe: 2 x 60.05 = 120.10 + fee 4 x 6.60 = 26.40
                        "180.15",  # 3 x 60.05
                        "0.00", "-33.65"), "60.05",  # 180.15 - 120.10
                 id="scribe-inside"),
    pytest.param(ch(START, END4, officers=0, supervisors=1, events=[cancel(before(START, hours=12))]),
                 expect("238.76",  # supervisor: 2 x 97.86 = 195.72 + fee 4 x 10.76 = 43.04
                        "293.58",  # 3 x 97.86
                        "0.00", "-54.82"), "97.86",  # 293.58 - 195.72
                 id="supervisor-inside"),
    pytest.param(ch(START, END8, events=[{"type": "release", "slot": 0, "at": "2027-03-10T13:00"}]),
                 expect("299.43",  # released after 3 h: 3 x 75.03 = 225.09 + fee 8 x 8.25 = 66.00
                                   # + comp on 3 h worked 3 x 2.78 = 8.34
                        "225.09",  # 3 h worked = the officer's 3 h
                        "7.50",  # 3 x 2.50
                        "66.84"), "0.00",
                 id="early-release-after-3h-is-a-reduction"),
    pytest.param(ch(START, END8, events=[{"type": "release", "slot": 0, "at": "2027-03-10T11:00"}]),
                 expect("218.84",  # 1 h worked: 2 h min x 75.03 = 150.06 + 66.00 + comp 1 x 2.78
                        "225.09",  # officer paid at least 3 h x 75.03
                        "2.50",  # 1 x 2.50
                        "-8.75"), "75.03",
                 id="early-release-after-1h-officer-paid-3h"),
    pytest.param(ch(START, END8, events=[{"type": "change_start", "at": before(START, hours=20), "start": START,
                                          "end": END4, "officer_accepts": True}]),
                 expect("377.24",  # shortened inside 24 h to 4 h: 4 x 75.03 = 300.12 + fee on the original
                                   # 8 h x 8.25 = 66.00 + comp on 4 h worked 4 x 2.78 = 11.12
                        "300.12", "10.00", "67.12"), "0.00",
                 id="shortened-inside-24h"),
    pytest.param(ch(START, END8, events=[{"type": "change_start", "at": before(START, days=3), "start": START,
                                          "end": END4, "officer_accepts": True}]),
                 expect("344.24", "300.12", "10.00", "34.12"), "0.00",  # outside: just the 4 h worked
                 id="shortened-outside-24h"),
    pytest.param(ch(START, END4, events=[{"type": "change_start", "at": before(START, hours=20),
                                          "start": START, "end": "2027-03-10T16:00", "officer_accepts": False}]),
                 expect("516.36",  # moved to 6 h, reposted, no charge: 6 x 83.28 = 499.68 + 6 x 2.78 = 16.68
                        "450.18",  # 6 x 75.03
                        "15.00", "51.18"), "0.00",
                 id="start-change-declined-reposted-no-charge"),
    pytest.param(ch(START, END4, officers=2, events=[cancel(before(START, hours=12), slots=[1])]),
                 expect("527.30",  # slot 0 worked 344.24 + slot 1 cancelled inside 183.06
                        "525.21",  # 300.12 + 225.09
                        "10.00", "-7.91"), "75.03",
                 id="one-of-two-slots-inside"),
]


@pytest.mark.parametrize("data,want,absorbed", CANCELS)
def test_cancellation(data, want, absorbed):
    result = bill_story(data)
    assert totals(result) == want
    assert postings(result, "expenses:absorbed-officer-pay") == Decimal(absorbed)
    assert result.absorbed_total == Decimal(absorbed)


def test_inside_cancel_lines_show_the_absorbed_pay():
    result = bill_story(ch(START, END4, events=[cancel(before(START, hours=24))]))
    assert vendor_lines(result) == [("75.03", "2.00", "150.06"),  # 2 x 75.03 at the officer's share
                                    ("8.25", "4.00", "33.00")]  # 11 % fee 4 x 8.25
    pay = sorted((l["hours"], l["amount"]) for l in lines_of(result, "officer"))
    assert pay == [("1.00", "75.03"), ("2.00", "150.06")]  # 2 h billed + 1 h beyond what is billed
    accounts = {p.account: p.amount for tx in result.transactions for p in tx.postings}
    assert accounts["expenses:absorbed-officer-pay"] == Decimal("75.03")  # 225.09 - 150.06
    assert accounts["assets:receivable:vendor:Acme Market"] == Decimal("183.06")
    assert accounts["income:admin-fee:chandler-az"] == Decimal("-33.00")
    assert sum(accounts.values()) == 0


@pytest.mark.parametrize("category", ["liquor_establishment", "civil_process", "accident_reconstruction",
                                      "polygraph"])
def test_prohibited_categories_refused(category):
    with pytest.raises(Refusal) as info:
        bill_story(ch(START, END4, category=category))
    assert info.value.rule == f"prohibited-category.{category}"
    assert str(info.value).startswith("chandler-az:")
    assert category in str(info.value)


def test_no_notice_rule():
    # Chandler publishes no notice requirement: a request received an hour ahead is billed normally.
    result = bill_story(ch(START, END4, received_at=before(START, hours=1)))
    assert totals(result) == expect("344.24", "300.12", "10.00", "34.12")


def test_unfilled_alert_is_24h():
    from offduty_core.plugins import default_registry
    from datetime import timedelta

    assert default_registry().rules(CHANDLER).unfilled_alert == timedelta(hours=24)
