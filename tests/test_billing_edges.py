"""Edges of the billing conventions not owned by one agency's table."""

from __future__ import annotations

from decimal import Decimal

from tests.billing_helpers import bill_story, cancel, story


def test_cancellation_received_exactly_at_the_start_is_a_cancellation_inside_the_window():
    # Lynnwood: cancelled at 10:00 for a 10:00 start: nothing worked, 4 h x 170.87 = 683.48
    s = story("lynnwood-wa", "2027-03-10T10:00", "2027-03-10T18:00",
              events=[cancel("2027-03-10T10:00", request_id="R-1")])
    result = bill_story(s)
    assert result.vendor_total == Decimal("683.48")
    assert result.slots[0]["charges"][0]["kind"] == "cancel"


def test_cancellation_one_minute_after_the_start_is_an_early_release():
    # Lynnwood bills the full 8 h shift: 8 x 170.87 = 1366.96
    s = story("lynnwood-wa", "2027-03-10T10:00", "2027-03-10T18:00",
              events=[cancel("2027-03-10T10:01", request_id="R-1")])
    assert bill_story(s).vendor_total == Decimal("1366.96")


def test_minimum_top_up_costs_the_same_as_one_line():
    # Grantsville 1 h 20 min worked, 2 h minimum: 2 x 70.00 = 140.00 exactly
    s = story("grantsville-ut", "2027-03-10T10:00", "2027-03-10T11:20")
    result = bill_story(s)
    assert result.vendor_total == Decimal("140.00")
    assert result.officer_pay_total == Decimal("127.00")


def test_a_long_run_keeps_a_bounded_number_of_interval_segments(monkeypatch):
    # Pricing keeps each interval's segments on the compiled rules; intervals seldom recur,
    # so past the bound the kept ones are dropped (and priced again if asked), not piled up.
    from offduty_core import pricing
    from offduty_core import default_registry

    monkeypatch.setattr(pricing, "_MAX_KEPT", 50)
    rules = default_registry().rules("lynnwood-wa")
    rules.segments.clear()
    request = bill_story(story("lynnwood-wa", "2027-03-10T10:00", "2027-03-10T18:00")).request
    pricer = pricing.Pricer(rules, request, None)
    start = 1_804_600_800  # 2027-03-10 local morning
    first = pricer.segments((start, start + 3600), "officer", (start, start + 3600), None)
    for i in range(200):
        interval = (start + 60 * i, start + 60 * i + 7200)
        assert pricer.segments(interval, "officer", interval, None)[0][0][1] == 7200
        assert len(rules.segments) <= 50
    assert pricer.segments((start, start + 3600), "officer", (start, start + 3600), None) == first
