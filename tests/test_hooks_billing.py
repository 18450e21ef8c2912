"""Billing a new agency may need beyond the seeds: rates that change within a day, tiered
cancellation windows, a supervisor per so many officers, per-request and per-slot extras."""

from __future__ import annotations

import types
from datetime import time, timedelta
from decimal import Decimal

import pytest

from offduty_core import Registry, get_plugin_manager, hookimpl
from offduty_core.billing import bill
from offduty_core.spec import (AgencySpec, CancellationPolicy, ChargeRule, Extra, FeeHours, RateClass, RateSplits,
                               ShareHours, SupervisorRule)
from offduty_core.story import parse_story


def night_town() -> types.ModuleType:
    """Regular 60.00 (50.00 share); Night 72.00 (60.00) for hours from 22:00 to 06:00."""
    mod = types.ModuleType("night_town")

    @hookimpl
    def offduty_agency():
        return AgencySpec(name="night-town", title="Night Town PD", timezone="America/Chicago",
                          rates=(RateClass(name="regular", label="Regular", total="60.00", share="50.00"),
                                 RateClass(name="night", label="Night", total="72.00", share="60.00")),
                          rate_splits=RateSplits(at=("06:00", "22:00")))

    @hookimpl
    def offduty_rate_class(agency, rates, request, role, piece):
        local = piece.start.time()
        return "night" if local >= time(22) or local < time(6) else None  # None: the default decides

    mod.offduty_agency = offduty_agency
    mod.offduty_rate_class = offduty_rate_class
    return mod


def test_rate_splits_cut_a_shift_into_day_and_night_rates():
    registry = Registry(get_plugin_manager(entry_points=False, extra=[night_town()]))
    story = parse_story({"agency": "night-town", "request": {
        "id": "N-1", "vendor": "Depot", "category": "security", "received_at": "2027-05-01T08:00",
        "start": "2027-05-10T20:00", "end": "2027-05-11T07:00"}}, registry)
    result = bill(story.rules, story.request, story.events)
    vendor = [(l.rate_class, l.seconds // 3600, str(l.amount)) for l in result.lines if l.party == "vendor"]
    # 20-22 regular (2 h x 60 = 120.00), 22-06 night (8 h x 72 = 576.00), 06-07 regular (1 h x 60 = 60.00)
    assert sorted(vendor) == [("night", 8, "576.00"), ("regular", 3, "180.00")]
    assert result.vendor_total == 756
    assert result.officer_pay_total == 3 * 50 + 8 * 60


def test_seed_agencies_are_unaffected_by_another_agencys_rate_hooks():
    registry = Registry(get_plugin_manager(extra=[night_town()]))  # the seeds through their entry points
    story = parse_story({"agency": "grantsville-ut", "request": {
        "id": "G-1", "vendor": "Depot", "category": "security", "received_at": "2027-05-01T08:00",
        "start": "2027-05-10T20:00", "end": "2027-05-11T07:00"}}, registry)
    assert bill(story.rules, story.request, story.events).vendor_total == 11 * 70


def tiered_town() -> types.ModuleType:
    """Regular 60.00 (50.00 share), 2 h minimum; cancellation: inside 24 h the greater of worked
    and the minimum at the total rate, inside 72 h the admin fee on the first 24 scheduled hours;
    one supervisor per 4 officers from 4 officers; a 25.00 booking fee per request (operator)
    and a 5.00 radio fee per worked slot (4.00 to the city)."""
    mod = types.ModuleType("tiered_town")

    @hookimpl
    def offduty_agency():
        return AgencySpec(
            name="tiered-town", title="Tiered Town PD", timezone="America/Chicago",
            rates=(RateClass(name="regular", label="Regular", total="60.00", share="50.00"),
                   RateClass(name="supervisor", label="Supervisor", total="72.00", share="60.00")),
            minimum_hours=2,
            cancellation=CancellationPolicy(
                tiers=((timedelta(hours=24), ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM)),
                       (timedelta(hours=72), ChargeRule(share_hours=ShareHours.WORKED,
                                                        fee_hours=FeeHours.FIRST_SCHEDULED)))),
            supervisor=SupervisorRule(officers_at_least=4, every=4),
            extras=(Extra(name="booking", label="Booking fee", total="25.00", city_share="0", per="request"),
                    Extra(name="radio", label="Radio", total="5.00", city_share="4.00", per="slot")))

    mod.offduty_agency = offduty_agency
    return mod


def tiered(request: dict, events=()) -> "object":
    registry = Registry(get_plugin_manager(entry_points=False, extra=[tiered_town()]))
    story = parse_story({"agency": "tiered-town", "request": {
        "id": "T-1", "vendor": "Depot", "category": "security", "received_at": "2027-05-01T08:00",
        "start": "2027-05-10T10:00", "end": "2027-05-10T14:00", **request}, "events": list(events)}, registry)
    return bill(story.rules, story.request, story.events)


@pytest.mark.parametrize("cancel_at, vendor, officers, tag", [
    ("2027-05-09T10:00", "120.00", "100.00", "inside-24h-window"),    # 2 h x 60.00, paid 2 h x 50.00
    ("2027-05-09T09:59", "40.00", "0.00", "inside-72h-window"),       # fee 4 h x 10.00
    ("2027-05-07T10:00", "40.00", "0.00", "inside-72h-window"),       # exactly 72 h: inside
    ("2027-05-07T09:59", "0.00", "0.00", "outside-window"),
])
def test_tiered_cancellation_windows(cancel_at, vendor, officers, tag):
    result = tiered({}, [{"type": "cancel", "at": cancel_at, "channel": "email"}])
    assert (str(result.vendor_total), str(result.officer_pay_total)) == (vendor, officers)
    assert result.slots[0]["charges"][0]["rule"] == f"tiered-town:cancellation.{tag}"


@pytest.mark.parametrize("officers, supervisors", [(3, 0), (4, 1), (5, 2), (8, 2), (9, 3)])
def test_one_supervisor_per_every_n_officers(officers, supervisors):
    result = tiered({"positions": {"officer": officers}})
    assert sum(1 for s in result.slots if s["role"] == "supervisor") == supervisors


def test_flat_fees_per_request_and_per_slot():
    # 2 officers x 4 h x 60.00 = 480.00; radio 2 x 5.00 = 10.00 (8.00 to the city); booking 25.00
    result = tiered({"positions": {"officer": 2}})
    assert result.vendor_total == Decimal("515.00")
    assert result.city_total == Decimal("8.00")
    assert result.admin_fee_total == Decimal("80.00") + Decimal("2.00") + Decimal("25.00")
    booking = [l for l in result.lines if l.rule == "tiered-town:extra.booking"]
    assert len(booking) == 1 and booking[0].party == "vendor"
    assert all(sum(p.amount for p in t.postings) == 0 for t in result.transactions)


def test_flat_fees_are_not_billed_on_a_cancellation():
    result = tiered({}, [{"type": "cancel", "at": "2027-05-09T09:59", "channel": "email"}])
    assert not [l for l in result.lines if "extra." in l.rule]
