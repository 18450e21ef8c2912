"""Billing hooks a new agency may need beyond the seeds: rates that change within a day."""

from __future__ import annotations

import types
from datetime import datetime, time, timedelta

from offduty_core import Registry, get_plugin_manager, hookimpl
from offduty_core.billing import bill
from offduty_core.model import AgencyInfo
from offduty_core.rules import RateClass, RateTable
from offduty_core.story import parse_story


def night_town() -> types.ModuleType:
    """Regular 60.00 (50.00 share); Night 72.00 (60.00) for hours from 22:00 to 06:00."""
    mod = types.ModuleType("night_town")

    @hookimpl
    def offduty_agency():
        return AgencyInfo(name="night-town", title="Night Town PD", timezone="America/Chicago")

    @hookimpl
    def offduty_rate_table(agency):
        return RateTable(classes=(RateClass(name="regular", label="Regular", total="60.00", share="50.00"),
                                  RateClass(name="night", label="Night", total="72.00", share="60.00")))

    @hookimpl
    def offduty_rate_boundaries(agency, request, start, end):
        tz = agency.tz
        day = start.astimezone(tz).date() - timedelta(days=1)
        cuts = []
        while datetime.combine(day, time(0), tz) < end:
            cuts += [datetime.combine(day, time(6), tz), datetime.combine(day, time(22), tz)]
            day += timedelta(days=1)
        return cuts

    @hookimpl
    def offduty_rate_class(agency, rates, role, start, holiday, emergency):
        local = start.astimezone(agency.tz).time()
        return "night" if local >= time(22) or local < time(6) else None  # None: the default decides

    for name, fn in list(locals().items()):
        if name.startswith("offduty_"):
            setattr(mod, name, fn)
    return mod


def test_rate_boundaries_split_a_shift_into_day_and_night_rates():
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
    registry = Registry(get_plugin_manager(entry_points=False, extra=[night_town()]))
    story = parse_story({"agency": "grantsville-ut", "request": {
        "id": "G-1", "vendor": "Depot", "category": "security", "received_at": "2027-05-01T08:00",
        "start": "2027-05-10T20:00", "end": "2027-05-11T07:00"}}, registry)
    assert bill(story.rules, story.request, story.events).vendor_total == 11 * 70
