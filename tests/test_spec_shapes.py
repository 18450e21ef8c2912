"""Rate-sheet shapes a third party's agency may have, each as a small test plugin, billed by hand.

Every plugin here is written the way an outside author would write it: an ``AgencySpec``
from ``offduty_agency()``, plus a hook only where the sheet decides something per piece of
work.  Expected amounts are worked out from the sheet in the comments and computed with
:func:`billing_helpers.money` (exact fractions, rounded half up to the cent), independently
of the engine's integer-cent arithmetic.  Every bill billed here also goes through
:func:`check_bill`: each line's hours shown x rate shown, rounded half up once, is its amount.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import types
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import attrs
import pytest

from billing_helpers import expect, money, story, totals
from offduty_core import PluginError, Refusal, Registry, get_plugin_manager, hookimpl
from offduty_core.billing import Bill, bill
from offduty_core.calendars import HolidayCalendar
from offduty_core.errors import InputError
from offduty_core.spec import (AgencySpec, Applies, CancellationPolicy, ChargeRule, Extra, NoticeRule, NoticeTier,
                               RateClass, RateSplits, RateTable)
from offduty_core.story import parse_story

D = Decimal
REGULAR = RateClass(name="regular", label="Regular", total="60.00", share="50.00")
HOLIDAY = RateClass(name="holiday", label="Holiday", total="90.00", share="75.00")


def town(name: str, **fields) -> AgencySpec:
    """A Central-time agency billing Regular 60.00 (50.00 to the officer) unless told otherwise."""
    fields.setdefault("rates", (REGULAR,))
    return AgencySpec(name=name, title=f"{name} PD", timezone="America/Chicago", **fields)


def plugin(module_name: str, spec: AgencySpec | None = None, **hooks) -> types.ModuleType:
    """A plugin module as a third party would ship it: ``offduty_agency`` and any other hooks."""
    mod = types.ModuleType(module_name)
    if spec is not None:
        mod.offduty_agency = hookimpl(lambda: spec)
    for name, fn in hooks.items():
        setattr(mod, name, hookimpl(fn))
    return mod


def registry(*plugins: types.ModuleType) -> Registry:
    return Registry(get_plugin_manager(entry_points=False, extra=list(plugins)))


CHECKED = {"bills": 0, "lines": 0}


def shown_hours(text: str) -> Fraction:
    """The hours a line shows: "2.50", or "0:40:00" (h:mm:ss) where hundredths are not exact."""
    if ":" in text:
        h, m, s = (int(part) for part in text.split(":"))
        return Fraction(h * 3600 + m * 60 + s, 3600)
    return Fraction(Decimal(text))


def check_bill(result: Bill) -> Bill:
    """Every hourly line: Decimal(hours) x rate, rounded half up once, is the amount shown; the
    line's seconds are the hours shown; vendor lines split exactly; every transaction balances."""
    for line, shown in zip(result.lines, result.to_dict()["lines"]):
        if shown["hours"] is not None:
            rate, amount = D(shown["rate"]), D(shown["amount"])
            if ":" in shown["hours"]:
                exact = shown_hours(shown["hours"]) * Fraction(rate)
                assert money(rate, shown_hours(shown["hours"])) == amount, shown
                assert abs(Fraction(amount) - exact) <= Fraction(1, 200), shown
            else:
                assert (D(shown["hours"]) * rate).quantize(D("0.01"), ROUND_HALF_UP) == amount, shown
            assert Fraction(line.seconds, 3600) == shown_hours(shown["hours"]), shown
            CHECKED["lines"] += 1
        if line.party == "vendor":
            assert line.share + line.fee + line.city + line.card == line.amount, shown
    for tx in result.transactions:
        assert sum(p.amount for p in tx.postings) == 0, tx
    assert result.operator_net == result.vendor_total - result.officer_pay_total - result.city_total
    CHECKED["bills"] += 1
    return result


def run(reg: Registry, agency: str, start: str, end: str, **kw) -> Bill:
    """Bill a one-request story (received 30 days ahead unless told) and check every line."""
    parsed = parse_story(story(agency, start, end, **kw), reg)
    return check_bill(bill(parsed.rules, parsed.request, parsed.events, parsed.payment_method))


def hourly(result: Bill, party: str = "vendor") -> list[tuple[str | None, str, str, str]]:
    """(rate class, hours, rate, amount) of a party's hourly lines, in bill order."""
    return [(l["rate_class"] if "rate_class" in l else None, l["hours"], l["rate"], l["amount"])
            for l in result.to_dict()["lines"] if l["party"] == party and l["hours"] is not None]


# --- (a) a flat cancellation charge ----------------------------------------------------------

FLAT = town("flat-town", minimum_hours=2, cancellation=CancellationPolicy(
    window=48, inside=ChargeRule(flat="100.00", flat_officer="40.00", label="$100 if cancelled within 48 hours")))


@pytest.fixture(scope="module")
def flat_registry():
    return registry(plugin("flat_town", FLAT))


def test_flat_cancellation_charge_inside_the_window(flat_registry):
    # Cancelled exactly 48 h before: inside.  100.00 flat per slot, 40.00 of it to the officer,
    # 60.00 admin fee; nothing was worked, so no hours and no 2 h minimum.
    result = run(flat_registry, "flat-town", "2027-05-10T10:00", "2027-05-10T14:00",
                 events=[{"type": "cancel", "at": "2027-05-08T10:00", "channel": "email"}])
    assert totals(result) == expect("100.00", "40.00", "0.00", "60.00")
    (vendor,) = [l for l in result.to_dict()["lines"] if l["party"] == "vendor"]
    assert (vendor["amount"], vendor["hours"], vendor["rule"]) == ("100.00", None, "flat-town:cancellation.inside-window.flat")
    (pay,) = [l for l in result.to_dict()["lines"] if l["party"] == "officer"]
    assert (pay["amount"], pay["rule"]) == ("40.00", "flat-town:cancellation.inside-window.flat")
    assert result.admin_fee_total == D("60.00")


def test_flat_cancellation_charge_is_per_slot_and_not_outside_the_window(flat_registry):
    # Two officers cancelled 47 h before: 2 x 100.00.
    two = run(flat_registry, "flat-town", "2027-05-10T10:00", "2027-05-10T14:00", officers=2,
              events=[{"type": "cancel", "at": "2027-05-08T11:00", "channel": "email"}])
    assert totals(two) == expect("200.00", "80.00", "0.00", "120.00")
    # 48 h 1 min before: outside the window, no charge at all.
    outside = run(flat_registry, "flat-town", "2027-05-10T10:00", "2027-05-10T14:00",
                  events=[{"type": "cancel", "at": "2027-05-08T09:59", "channel": "email"}])
    assert totals(outside) == expect("0.00", "0.00", "0.00", "0.00") and outside.lines == ()
    # Worked normally: 4.00 h x 60.00 = 240.00, no flat line.
    worked = run(flat_registry, "flat-town", "2027-05-10T10:00", "2027-05-10T14:00")
    assert hourly(worked) == [("regular", "4.00", "60.00", str(money("60.00", 4)))]


# --- (b) an extra with a different first hour ------------------------------------------------

VEHICLE = town("vehicle-town", extras=(
    Extra(name="vehicle", label="Vehicle", total="5.65", city_share="5.00", first_hour_total="39.55",
          first_hour_city_share="35.00", applies=Applies.VEHICLE),))


@pytest.fixture(scope="module")
def vehicle_registry():
    return registry(plugin("vehicle_town", VEHICLE))


def test_vehicle_first_hour_and_additional_hours(vehicle_registry):
    # 4 h with a vehicle: 4.00 h x 60.00 = 240.00; vehicle 1.00 h x 39.55 = 39.55 and
    # 3.00 h x 5.65 = 16.95.  To the city: 1.00 x 35.00 + 3.00 x 5.00 = 50.00.
    result = run(vehicle_registry, "vehicle-town", "2027-05-10T10:00", "2027-05-10T14:00", vehicle=True)
    lines = result.to_dict()["lines"]
    vehicle = [(l["description"], l["hours"], l["rate"], l["amount"], l["rule"]) for l in lines
               if l["party"] == "vendor" and l["rule"] == "vehicle-town:extra.vehicle"]
    assert vehicle == [
        ("slot 0 (officer): Vehicle, first hour", "1.00", "39.55", str(money("39.55", 1)), "vehicle-town:extra.vehicle"),
        ("slot 0 (officer): Vehicle, additional hours", "3.00", "5.65", str(money("5.65", 3)),
         "vehicle-town:extra.vehicle"),
    ]
    assert [(l["hours"], l["rate"], l["amount"]) for l in lines if l["party"] == "city"] == [
        ("1.00", "35.00", "35.00"), ("3.00", "5.00", "15.00")]
    vendor = money("60.00", 4) + money("39.55", 1) + money("5.65", 3)  # 240.00 + 39.55 + 16.95 = 296.50
    assert totals(result) == expect(vendor, "200.00", "50.00", vendor - D("200.00") - D("50.00"))


@pytest.mark.parametrize("end, first, additional, city", [
    # 2.5 h: 1.00 x 39.55 = 39.55; 1.50 x 5.65 = 8.475 -> 8.48 (half up); city 35.00 + 1.50 x 5.00 = 7.50
    ("2027-05-10T12:30", ("1.00", "39.55"), ("1.50", "8.48"), D("42.50")),
    # 30 min: 0.50 x 39.55 = 19.775 -> 19.78, and no additional-hours line; city 0.50 x 35.00 = 17.50
    ("2027-05-10T10:30", ("0.50", "19.78"), None, D("17.50")),
])
def test_vehicle_first_hour_for_short_shifts(vehicle_registry, end, first, additional, city):
    result = run(vehicle_registry, "vehicle-town", "2027-05-10T10:00", end, vehicle=True)
    got = [(l["hours"], l["amount"]) for l in result.to_dict()["lines"]
           if l["party"] == "vendor" and l["rule"] == "vehicle-town:extra.vehicle"]
    assert got == [first] + ([additional] if additional else [])
    assert D(first[1]) == money("39.55", shown_hours(first[0]))
    if additional:
        assert D(additional[1]) == money("5.65", shown_hours(additional[0]))
    assert result.city_total == city


def test_no_vehicle_lines_without_a_vehicle(vehicle_registry):
    result = run(vehicle_registry, "vehicle-town", "2027-05-10T10:00", "2027-05-10T14:00")
    assert not [l for l in result.lines if "extra." in l.rule]
    assert totals(result) == expect("240.00", "200.00", "0.00", "40.00")


COMP = town("comp-town", minimum_hours=2,
            extras=(Extra(name="workers_comp", label="Workers' comp", total="2.78", city_share="2.50"),),
            cancellation=CancellationPolicy(window=24, inside=ChargeRule(share_hours="worked_or_minimum")))


def test_a_cancellation_charged_at_the_minimum_bills_no_extra_hours():
    # Inside 24 h: the greater of worked (0) and the 2 h minimum at the total rate,
    # 2.00 h x 60.00 = 120.00 (officer 2 x 50.00 = 100.00).  Nothing was worked, so no workers'
    # comp hours are billed or owed to the city (README "Extras": "the hours actually worked for a
    # cancellation or reduction charge").
    reg = registry(plugin("comp_town", COMP))
    result = run(reg, "comp-town", "2027-05-10T10:00", "2027-05-10T14:00",
                 events=[{"type": "cancel", "at": "2027-05-09T12:00", "channel": "email"}])
    assert hourly(result) == [("regular", "2.00", "60.00", str(money("60.00", 2)))]
    assert totals(result) == expect("120.00", "100.00", "0.00", "20.00")


# --- (c) an additive sheet: base + night differential, overtime after the 10th hour ------------

ADDITIVE = town(
    "additive-town",
    rates=(RateClass(name="regular", label="Regular", total="50.00", share="45.00"),
           RateClass(name="overtime", label="Overtime", total="76.13", share="68.50"),
           RateClass(name="night", label="Night differential", total="5.50", share="5.00", add_on=True)),
    rate_splits=RateSplits(at=("23:00", "07:00"), after_hours=(10,)),
)


def additive_rate_class(agency, rates, request, role, piece):
    """Overtime from the 11th hour worked (counted from clock-in); the night differential on
    top of whichever base applies for hours from 23:00 to 07:00."""
    base = "overtime" if piece.offset >= 10 * 3600 else rates.roles[role]
    at = piece.start.time()
    return (base, "night") if at >= time(23) or at < time(7) else base


@pytest.fixture(scope="module")
def additive_registry():
    return registry(plugin("additive_town", ADDITIVE, offduty_rate_class=additive_rate_class))


def test_additive_night_differential_and_overtime(additive_registry):
    # 15:00 -> 03:00 (12 h), worked as scheduled:
    #   15:00-01:00 regular 10.00 h x 50.00 = 500.00 (the 10th hour ends at 01:00)
    #   01:00-03:00 overtime 2.00 h x 76.13 = 152.26
    #   23:00-03:00 night on top 4.00 h x 5.50 = 22.00
    # Officer: 10 x 45.00 = 450.00 + 2 x 68.50 = 137.00 + 4 x 5.00 = 20.00 = 607.00
    result = run(additive_registry, "additive-town", "2027-05-10T15:00", "2027-05-11T03:00")
    assert sorted(hourly(result)) == sorted([
        ("regular", "10.00", "50.00", str(money("50.00", 10))),
        ("overtime", "2.00", "76.13", str(money("76.13", 2))),
        ("night", "4.00", "5.50", str(money("5.50", 4))),
    ])
    vendor = money("50.00", 10) + money("76.13", 2) + money("5.50", 4)
    officer = money("45.00", 10) + money("68.50", 2) + money("5.00", 4)
    assert totals(result) == expect(vendor, officer, "0.00", vendor - officer)
    rules = {l.rate_class: l.rule for l in result.lines if l.party == "vendor"}
    assert rules == {"regular": "additive-town:rate.regular", "overtime": "additive-town:rate.overtime",
                     "night": "additive-town:rate.night"}


def test_a_late_clock_in_moves_the_overtime_boundary(additive_registry):
    # Scheduled 15:00 -> 03:00, clocked in at 16:20 and out at 03:00 (10 h 40 min worked).
    # The 10th hour from clock-in ends at 02:20 (not at 01:00, 10 h after the scheduled start):
    #   16:20-02:20 regular 10.00 h x 50.00 = 500.00
    #   02:20-03:00 overtime 40 min = 2/3 h x 76.13 = 50.7533... -> 50.75 (shown as 0:40:00)
    #   23:00-03:00 night on top 4.00 h x 5.50 = 22.00
    # Officer: 450.00 + 2/3 x 68.50 = 45.666... -> 45.67 + 20.00 = 515.67
    result = run(additive_registry, "additive-town", "2027-05-10T15:00", "2027-05-11T03:00",
                 events=[{"type": "clock", "slot": 0, "in": "2027-05-10T16:20", "out": "2027-05-11T03:00"}])
    assert sorted(hourly(result)) == sorted([
        ("regular", "10.00", "50.00", str(money("50.00", 10))),
        ("overtime", "0:40:00", "76.13", str(money("76.13", Fraction(2, 3)))),
        ("night", "4.00", "5.50", str(money("5.50", 4))),
    ])
    assert money("76.13", Fraction(2, 3)) == D("50.75")
    vendor = money("50.00", 10) + money("76.13", Fraction(2, 3)) + money("5.50", 4)
    officer = money("45.00", 10) + money("68.50", Fraction(2, 3)) + money("5.00", 4)
    assert totals(result) == expect(vendor, officer, "0.00", vendor - officer)


def test_additive_day_shift_has_neither(additive_registry):
    # 08:00 -> 16:00: 8.00 h x 50.00 = 400.00, no overtime, no night.
    result = run(additive_registry, "additive-town", "2027-05-10T08:00", "2027-05-10T16:00")
    assert hourly(result) == [("regular", "8.00", "50.00", "400.00")]


def test_an_add_on_class_cannot_be_a_base_or_a_role():
    with pytest.raises(InputError, match="rates.regular.add_on"):
        town("x-town", rates=(RateClass(name="regular", label="R", total="1.00", share="1.00", add_on=True),))
    night = RateClass(name="night", label="Night", total="5.50", share="5.00", add_on=True)
    with pytest.raises(InputError, match="rates.roles.supervisor: 'night'.*not an add-on"):
        town("x-town", rates=RateTable(classes=(REGULAR, night), roles={"officer": "regular", "supervisor": "night"}))


def test_a_hook_answer_with_an_add_on_as_base_is_a_plugin_error():
    reg = registry(plugin("backwards_town", ADDITIVE.evolve(name="backwards-town"),
                          offduty_rate_class=lambda agency, rates, request, role, piece: ("night", "regular")))
    with pytest.raises(PluginError, match="offduty_rate_class returned .*'night', 'regular'.*give a base class"):
        run(reg, "backwards-town", "2027-05-10T10:00", "2027-05-10T14:00")


# --- (d) a recurring custom holiday ------------------------------------------------------------

BOXING = town("boxing-town", rates=(REGULAR, HOLIDAY), holidays=HolidayCalendar(recurring={"12-26": "Boxing Day"}))


@pytest.mark.parametrize("day", ["2027-12-26", "2028-12-26"])
def test_recurring_holiday_billed_at_holiday_rate_every_year(day):
    reg = registry(plugin("boxing_town", BOXING))
    # 10:00 -> 14:00 on Boxing Day: 4.00 h x 90.00 = 360.00, officer 4 x 75.00 = 300.00
    result = run(reg, "boxing-town", f"{day}T10:00", f"{day}T14:00")
    assert hourly(result) == [("holiday", "4.00", "90.00", str(money("90.00", 4)))]
    (line,) = [l for l in result.lines if l.party == "vendor"]
    assert "Boxing Day" in line.description and line.rule == "boxing-town:rate.holiday"
    assert totals(result) == expect("360.00", "300.00", "0.00", "60.00")
    # The day after is an ordinary day.
    after = date.fromisoformat(day) + timedelta(days=1)
    ordinary = run(reg, "boxing-town", f"{after}T10:00", f"{after}T14:00")
    assert hourly(ordinary) == [("regular", "4.00", "60.00", "240.00")]


# --- (e) whole-shift holidays --------------------------------------------------------------


def christmas(name: str, whole_shift: bool) -> AgencySpec:
    return town(name, rates=(REGULAR, HOLIDAY),
                holidays=HolidayCalendar(keys=("christmas_day",), whole_shift=whole_shift))


@pytest.fixture(scope="module")
def christmas_registry():
    return registry(plugin("whole_town", christmas("whole-town", True)),
                    plugin("date_town", christmas("date-town", False)))


@pytest.mark.parametrize("start, end, whole, by_date", [
    # 20:00 Dec 24 -> 02:00 Dec 25.  Whole shift: 6.00 h x 90.00 = 540.00.
    # By date: Dec 24 4.00 h x 60.00 = 240.00, Dec 25 2.00 h x 90.00 = 180.00.
    ("2027-12-24T20:00", "2027-12-25T02:00", [("holiday", "6.00", "90.00", "540.00")],
     [("regular", "4.00", "60.00", "240.00"), ("holiday", "2.00", "90.00", "180.00")]),
    # 22:00 Dec 25 -> 03:00 Dec 26.  Whole shift: 5.00 h x 90.00 = 450.00.
    # By date: Dec 25 2.00 h x 90.00 = 180.00, Dec 26 3.00 h x 60.00 = 180.00.
    ("2027-12-25T22:00", "2027-12-26T03:00", [("holiday", "5.00", "90.00", "450.00")],
     [("holiday", "2.00", "90.00", "180.00"), ("regular", "3.00", "60.00", "180.00")]),
])
def test_whole_shift_holiday(christmas_registry, start, end, whole, by_date):
    assert sorted(hourly(run(christmas_registry, "whole-town", start, end))) == sorted(whole)
    assert sorted(hourly(run(christmas_registry, "date-town", start, end))) == sorted(by_date)
    for rows in (whole, by_date):
        for _, hours, rate, amount in rows:
            assert money(rate, shown_hours(hours)) == D(amount)


def test_whole_shift_does_not_touch_an_ordinary_shift(christmas_registry):
    result = run(christmas_registry, "whole-town", "2027-12-23T20:00", "2027-12-24T02:00")
    assert hourly(result) == [("regular", "6.00", "60.00", "360.00")]


# --- (f) observed days -----------------------------------------------------------------------


def observing(name: str, observed: bool) -> AgencySpec:
    return town(name, rates=(REGULAR, HOLIDAY),
                holidays=HolidayCalendar(keys=("christmas_day", "independence_day"), observed=observed))


@pytest.mark.parametrize("day, label", [
    ("2027-12-24", "Christmas Day (observed)"),      # Christmas 2027 is a Saturday: observed Friday
    ("2027-07-05", "Independence Day (observed)"),   # July 4, 2027 is a Sunday: observed Monday
])
def test_observed_days_bill_at_holiday_rate(day, label):
    reg = registry(plugin("observed_town", observing("observed-town", True)),
                   plugin("actual_town", observing("actual-town", False)))
    # 10:00 -> 14:00: 4.00 h x 90.00 = 360.00 when observed; 4.00 h x 60.00 = 240.00 when not.
    observed = run(reg, "observed-town", f"{day}T10:00", f"{day}T14:00")
    assert hourly(observed) == [("holiday", "4.00", "90.00", "360.00")]
    assert label in observed.lines[0].description
    assert hourly(run(reg, "actual-town", f"{day}T10:00", f"{day}T14:00")) == [("regular", "4.00", "60.00", "240.00")]
    # The actual date is still a holiday for both.
    actual = {"2027-12-24": "2027-12-25", "2027-07-05": "2027-07-04"}[day]
    for name in ("observed-town", "actual-town"):
        assert hourly(run(reg, name, f"{actual}T10:00", f"{actual}T14:00"))[0][0] == "holiday"


# --- (g) two emergency tiers --------------------------------------------------------------------

TIERS = town("tier-town", rates=(
    REGULAR,
    RateClass(name="short_notice", label="Short notice", total="66.00", share="55.00"),
    RateClass(name="emergency", label="Emergency", total="75.00", share="62.50")),
    notice=NoticeRule(tiers=(NoticeTier(below=timedelta(days=7), rate_class="short_notice"),
                             NoticeTier(below=timedelta(hours=72), rate_class="emergency"))))


@pytest.mark.parametrize("received_at, cls, rate, note", [
    ("2027-05-12T10:00", "regular", "60.00", None),                      # 8 days
    ("2027-05-13T10:00", "regular", "60.00", None),                      # exactly 7 days: enough
    ("2027-05-13T10:01", "short_notice", "66.00", "under the 168 h notice"),  # 6 d 23 h 59 min
    ("2027-05-15T10:00", "short_notice", "66.00", "under the 168 h notice"),  # 5 days
    ("2027-05-17T10:00", "short_notice", "66.00", "under the 168 h notice"),  # exactly 72 h: enough for that tier
    ("2027-05-17T10:01", "emergency", "75.00", "under the 72 h notice"),      # 71 h 59 min
    ("2027-05-19T10:00", "emergency", "75.00", "under the 72 h notice"),      # 24 h
])
def test_two_notice_tiers(received_at, cls, rate, note):
    reg = registry(plugin("tier_town", TIERS))
    # 10:00 -> 14:00 on May 20: 4.00 h at the tier's class.
    result = run(reg, "tier-town", "2027-05-20T10:00", "2027-05-20T14:00", received_at=received_at)
    assert hourly(result) == [(cls, "4.00", rate, str(money(rate, 4)))]
    assert result.admission.notice_class == (None if cls == "regular" else cls)
    assert result.admission.emergency is (cls != "regular")
    if note is None:
        assert result.notes == ()
    else:
        (text,) = result.notes
        assert note in text and f"({cls})" in text
        label = {"short_notice": "Short notice", "emergency": "Emergency"}[cls]
        assert f"billed at the {label} rate" in text


def test_notice_tier_class_must_exist():
    with pytest.raises(InputError, match="notice.tiers.rate_class: 'urgent'"):
        town("bad-town", notice=NoticeRule(tiers=(NoticeTier(below=24, rate_class="urgent"),)))


# --- (h) prohibited dates ---------------------------------------------------------------------

DRY = town("dry-town", prohibited_dates={"12-31": "every officer is on duty on New Year's Eve",
                                         "2027-07-04": "the Fourth of July parade"})


@pytest.mark.parametrize("start, end, day, reason", [
    ("2027-12-31T10:00", "2027-12-31T14:00", "2027-12-31", "every officer is on duty"),    # MM-DD, 2027
    ("2028-12-31T10:00", "2028-12-31T14:00", "2028-12-31", "every officer is on duty"),    # MM-DD, 2028
    ("2027-12-30T20:00", "2027-12-31T02:00", "2027-12-31", "every officer is on duty"),    # runs into it
    ("2027-07-04T10:00", "2027-07-04T14:00", "2027-07-04", "Fourth of July parade"),        # YYYY-MM-DD
])
def test_prohibited_date_refused(start, end, day, reason):
    reg = registry(plugin("dry_town", DRY))
    with pytest.raises(Refusal, match=reason) as info:
        run(reg, "dry-town", start, end)
    assert info.value.rule == f"prohibited-date.{day}"
    assert f"no off-duty work on {day}" in str(info.value)


@pytest.mark.parametrize("start, end", [
    ("2028-07-04T10:00", "2028-07-04T14:00"),   # a one-year date does not recur
    ("2027-12-30T20:00", "2027-12-31T00:00"),   # ends at midnight: no work on the 31st
])
def test_prohibited_date_leaves_other_days(start, end):
    reg = registry(plugin("dry_town", DRY))
    assert hourly(run(reg, "dry-town", start, end)) == [("regular", "4.00", "60.00", "240.00")]


def test_prohibited_date_keys_are_checked():
    with pytest.raises(InputError, match="prohibited_dates.31-12"):
        town("bad-town", prohibited_dates={"31-12": "typo"})


# --- (i) a request received after its start -----------------------------------------------------


def test_request_received_after_its_start_is_refused(flat_registry):
    with pytest.raises(Refusal) as info:
        run(flat_registry, "flat-town", "2027-05-10T10:00", "2027-05-10T14:00", received_at="2027-05-10T10:01")
    assert info.value.rule == "notice.after-start"
    assert "must arrive before the work starts" in str(info.value)
    # Received at the very start: accepted (no notice rule refuses it), 4.00 h x 60.00.
    result = run(flat_registry, "flat-town", "2027-05-10T10:00", "2027-05-10T14:00", received_at="2027-05-10T10:00")
    assert hourly(result) == [("regular", "4.00", "60.00", "240.00")]


# --- (j) containment ------------------------------------------------------------------------


@pytest.fixture
def shapes_dist(tmp_path, monkeypatch):
    """An installed distribution with three agencies: a good one, one with a misspelled hook
    and one that fails to import."""
    (tmp_path / "shapes_good_town.py").write_text(textwrap.dedent('''
        from offduty_core import hookimpl
        from offduty_core.spec import AgencySpec, RateClass

        @hookimpl
        def offduty_agency():
            return AgencySpec(name="good-town", title="Good Town PD", timezone="America/Chicago",
                              rates=(RateClass(name="regular", label="Regular", total="60.00", share="50.00"),))
    '''))
    (tmp_path / "shapes_broken_town.py").write_text(textwrap.dedent('''
        from offduty_core import hookimpl
        from offduty_core.spec import AgencySpec, RateClass

        @hookimpl
        def offduty_agency():
            return AgencySpec(name="broken-town", title="Broken Town PD", timezone="America/Chicago",
                              rates=(RateClass(name="regular", label="Regular", total="60.00", share="50.00"),))

        @hookimpl
        def offduty_rate_clas(agency, rates, request, role, piece):
            return None
    '''))
    (tmp_path / "shapes_missing_town.py").write_text("import offduty_no_such_module\n")
    dist = tmp_path / "shapes_plugins-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: shapes-plugins\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[offduty]\ngood-town = shapes_good_town\n"
                                           "broken-town = shapes_broken_town\nmissing-town = shapes_missing_town\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield
    for name in ("shapes_good_town", "shapes_broken_town", "shapes_missing_town"):
        sys.modules.pop(name, None)


def test_a_broken_plugin_is_set_aside_and_the_others_keep_working(shapes_dist):
    reg = Registry(get_plugin_manager())
    assert "good-town" in reg.names() and "lynnwood-wa" in reg.names()
    assert "broken-town" not in reg.names() and "missing-town" not in reg.names()
    assert sorted(reg.broken) == ["broken-town", "missing-town"]
    reason = reg.broken["broken-town"].broken
    assert reason.startswith("shapes-plugins 0.1: ")
    assert "unknown hook 'offduty_rate_clas' (did you mean 'offduty_rate_class'?)" in reason
    assert "ModuleNotFoundError" in reg.broken["missing-town"].broken
    assert all("\n" not in e.broken for e in reg.broken.values())
    # The good agency lists and bills: 4.00 h x 60.00 = 240.00.
    result = run(reg, "good-town", "2027-05-10T10:00", "2027-05-10T14:00")
    assert totals(result) == expect("240.00", "200.00", "0.00", "40.00")
    assert reg.agencies["good-town"].source == "shapes-plugins 0.1"
    # Using the broken one by name says why.
    with pytest.raises(PluginError, match=r"agency 'broken-town' cannot be used: .*did you mean 'offduty_rate_class'"):
        reg.rules("broken-town")
    with pytest.raises(PluginError, match="cannot be used"):
        run(reg, "broken-town", "2027-05-10T10:00", "2027-05-10T14:00")


def raising_rate_class(agency, rates, request, role, piece):
    return {"regular": 1}[piece.holiday]  # a bug: KeyError on every ordinary day


def raising_check_request(agency, request, spec):
    raise RuntimeError("vendor list\nunavailable")


@pytest.mark.parametrize("hook, fn, error", [
    ("offduty_rate_class", raising_rate_class, "KeyError: None"),
    ("offduty_check_request", raising_check_request, "RuntimeError: vendor list unavailable"),
])
def test_a_hook_that_raises_is_one_plugin_error_line(hook, fn, error):
    reg = registry(plugin("raising_town", town("raising-town"), **{hook: fn}), plugin("flat_town", FLAT))
    with pytest.raises(PluginError) as info:
        run(reg, "raising-town", "2027-05-10T10:00", "2027-05-10T14:00")
    message = str(info.value)
    assert message == f"agency 'raising-town': plugin 'raising_town' failed in {hook}: {error}"
    assert "\n" not in message
    # The other agency in the same registry still bills.
    assert run(reg, "flat-town", "2027-05-10T10:00", "2027-05-10T14:00").vendor_total == D("240.00")


# --- (k) offduty_adjust_spec from an extension plugin ------------------------------------------


def test_extension_adjusts_one_agencys_minimum_only():
    def offduty_adjust_spec(spec):
        return spec.evolve(minimum_hours=4) if spec.name == "town-a" else None

    a, b = town("town-a", minimum_hours=2), town("town-b", minimum_hours=2)
    reg = registry(plugin("town_a", a), plugin("town_b", b), plugin("local_fee_ext", None,
                                                                      offduty_adjust_spec=offduty_adjust_spec))
    # 1 h worked.  town-a: the adjusted 4 h minimum, one line 4.00 h x 60.00 = 240.00.
    # town-b: its own 2 h minimum, 2.00 h x 60.00 = 120.00.
    result_a = run(reg, "town-a", "2027-05-10T10:00", "2027-05-10T11:00")
    result_b = run(reg, "town-b", "2027-05-10T10:00", "2027-05-10T11:00")
    assert hourly(result_a) == [("regular", "4.00", "60.00", str(money("60.00", 4)))]
    assert hourly(result_b) == [("regular", "2.00", "60.00", str(money("60.00", 2)))]
    assert [l.rule for l in result_a.lines if l.party == "vendor"] == ["town-a:minimum-hours"]
    assert totals(result_a) == expect("240.00", "200.00", "0.00", "40.00")
    assert totals(result_b) == expect("120.00", "100.00", "0.00", "20.00")
    assert reg.rules("town-a").minimum_hours(None, "officer") == 4
    assert reg.rules("town-b").minimum_hours(None, "officer") == 2
    assert reg.agencies["town-a"].spec is a  # the plugin's own value is untouched


# --- (l) check-agency and a plugin that picks holiday classes itself -----------------------------

PREMIUM = town("premium-town", rates=(REGULAR, RateClass(name="premium", label="Premium", total="80.00",
                                                         share="70.00")),
               holidays=HolidayCalendar(keys=("christmas_day",)))


def premium_on_holidays(agency, rates, request, role, piece):
    return "premium" if piece.holiday else None


def test_no_holiday_class_warning_when_a_rate_hook_picks_classes():
    reg = registry(plugin("premium_town", PREMIUM, offduty_rate_class=premium_on_holidays))
    findings = reg.self_check("premium-town")
    assert not [f for f in findings if f.check == "holidays" and not f.ok]
    assert all(f.ok for f in findings), [f.message for f in findings if not f.ok]
    # And the hook does bill the holiday: 4.00 h x 80.00 = 320.00.
    result = run(reg, "premium-town", "2027-12-25T10:00", "2027-12-25T14:00")
    assert hourly(result) == [("premium", "4.00", "80.00", "320.00")]


def test_holiday_class_warning_without_a_rate_hook():
    reg = registry(plugin("premium_town", PREMIUM))
    (warning,) = [f for f in reg.self_check("premium-town") if f.check == "holidays" and not f.ok]
    assert "no 'holiday' class" in warning.message
    # Without a holiday class or a hook, the holiday is billed at the role's class: 4.00 h x 60.00.
    result = run(reg, "premium-town", "2027-12-25T10:00", "2027-12-25T14:00")
    assert hourly(result) == [("regular", "4.00", "60.00", "240.00")]


# --- every line of every bill ---------------------------------------------------------------------


def test_check_bill_is_not_vacuous(additive_registry, vehicle_registry):
    before_bills, before_lines = CHECKED["bills"], CHECKED["lines"]
    run(additive_registry, "additive-town", "2027-05-10T15:00", "2027-05-11T03:00",
        events=[{"type": "clock", "slot": 0, "in": "2027-05-10T16:20", "out": "2027-05-11T03:00"}])
    run(vehicle_registry, "vehicle-town", "2027-05-10T10:00", "2027-05-10T12:30", vehicle=True, payment="card")
    assert CHECKED["bills"] == before_bills + 2
    # 3 vendor + 3 officer lines; 3 vendor (regular, 2 vehicle) + 1 officer + 2 city lines.
    assert CHECKED["lines"] == before_lines + 6 + 6
    # And the check does catch a line that is off by a cent.
    good = run(vehicle_registry, "vehicle-town", "2027-05-10T10:00", "2027-05-10T14:00")
    first = good.priced[0]
    (head, tail), *rest = first.shape.lines
    off_by_a_cent = (head[:2] + (head[2] + 1,) + head[3:], tail[:1] + (tail[1] + 1,) + tail[2:])
    shape = first.shape._replace(lines=(off_by_a_cent, *rest))
    bad = attrs.evolve(good, priced=(first._replace(shape=shape), *good.priced[1:]))
    assert bad.lines[0].cents == good.lines[0].cents + 1
    with pytest.raises(AssertionError):
        check_bill(bad)
