"""Seeded story traffic: job stories generated to exercise an agency's billing rules.

Where the year simulator (``offduty_simulations.model``) produces realistic demand, this
module produces *stories* (a request and its events, the ``offduty bill`` format) aimed at
the places where rules bite: notice just under and over the agency's thresholds,
cancellations on both sides of the window, short jobs under the minimum, shifts across
midnight into a listed holiday, daylight-saving days, supervisor thresholds, early releases,
start-time changes the officer declines, card payments.  It reads the thresholds from the
agency's own rules, so it works for any agency plugin.

Deterministic: the same agency rules, seed and count give the same stories (Python's
``random.Random``, seeded per story from the seed).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator

from offduty_core.rules import AgencyRules

YEAR = 2027
FMT = "%Y-%m-%dT%H:%M"


def _fmt(value: datetime) -> str:
    return value.strftime(FMT)


def _dst_days(rules: AgencyRules, year: int) -> list[date]:
    tz = rules.info.tz
    days = []
    for month in (3, 11):
        for day in range(1, 15):
            d = date(year, month, day)
            a = datetime.combine(d, time(0), tz).utcoffset()
            b = datetime.combine(d + timedelta(days=1), time(0), tz).utcoffset()
            if a != b:
                days.append(d)
    return days


def _special_days(rules: AgencyRules, year: int) -> list[date]:
    days = list(rules.holidays.dates(year)) if rules.holidays else []
    return days + _dst_days(rules, year)


def _around(rng: random.Random, threshold: timedelta) -> timedelta:
    """A duration just under, exactly at, or just over ``threshold``."""
    return threshold + timedelta(minutes=rng.choice([-61, -1, 0, 0, 1, 59, 600]))


def story(rules: AgencyRules, rng: random.Random, number: int) -> dict[str, Any]:
    tz = rules.info.tz
    special = _special_days(rules, YEAR)
    categories = sorted(rules.categories)
    allowed = [c for c in categories if c not in rules.prohibited] or categories

    # When: a special day a quarter of the time, else any day; starts at any hour.
    if special and rng.random() < 0.25:
        day = rng.choice(special) - timedelta(days=rng.choice([0, 0, 1]))
    else:
        day = date(YEAR, 1, 15) + timedelta(days=rng.randrange(330))
    start_hour = rng.choice([0, 6, 7, 8, 10, 14, 16, 18, 20, 22, 23])
    start = datetime.combine(day, time(start_hour, rng.choice([0, 0, 30])))
    if start.replace(tzinfo=tz).astimezone(tz).replace(tzinfo=None) != start:  # skipped by DST
        start += timedelta(hours=1)
    minutes = rng.choice([30, 60, 90, 120, 150, 180, 240, 240, 300, 360, 480, 480, 600, 720])
    end = start + timedelta(minutes=minutes)

    # Notice: around the agency's thresholds half the time.
    thresholds = [t for t in (rules.notice.refuse_below, *(tier.below for tier in rules.notice.all_tiers())) if t]
    if thresholds and rng.random() < 0.5:
        notice = _around(rng, rng.choice(thresholds))
    else:
        notice = timedelta(hours=rng.choice([6, 30, 80, 200, 400, 900]))
    received = start - notice

    roles = rules.rates.roles
    officers = rng.choice([1, 1, 1, 2, 3])
    if rules.supervisor is not None and rng.random() < 0.2:
        officers = rules.supervisor.officers_at_least + rng.choice([-1, 0, 1])
    positions = {"officer": max(1, officers)}
    if "supervisor" in roles and rng.random() < 0.1:
        positions["supervisor"] = 1
    if "scribe" in roles and rng.random() < 0.15:
        positions["scribe"] = 1
    n_slots = sum(positions.values()) + (
        rules.supervisor.adds if rules.supervisor is not None and positions["officer"] >= rules.supervisor.officers_at_least
        and not positions.get("supervisor") else 0)

    rid = f"T-{number:05d}"
    category = rng.choice(allowed if rng.random() < 0.95 else categories)
    events: list[dict[str, Any]] = []
    for slot in range(n_slots):
        if rng.random() < 0.7:
            events.append({"type": "assign", "slot": slot, "officer": f"B{rng.randrange(1, 40):03d}"})

    window = rules.cancellation.window
    kind = rng.random()
    channel = "email" if rules.cancellation.written_channels is None else sorted(rules.cancellation.written_channels)[0]
    if kind < 0.15:
        lead = _around(rng, window) if window and rng.random() < 0.6 else timedelta(hours=rng.choice([2, 12, 50, 150]))
        at = max(received + timedelta(minutes=1), start - lead)
        cancel: dict[str, Any] = {"type": "cancel", "at": _fmt(at), "channel": channel, "request_id": rid}
        if n_slots > 1 and rng.random() < 0.4:
            cancel["slots"] = [rng.randrange(n_slots)]
        events.append(cancel)
    elif kind < 0.25:
        lead = _around(rng, window) if window and rng.random() < 0.6 else timedelta(hours=rng.choice([5, 30, 200]))
        at = max(received + timedelta(minutes=1), start - lead)
        if at < start:
            shift = timedelta(hours=rng.choice([-2, -1, 1, 2]))
            new_len = timedelta(minutes=minutes) + timedelta(hours=rng.choice([-1, 0, 0, 1]))
            new_len = max(new_len, timedelta(minutes=30))
            events.append({"type": "change_start", "at": _fmt(at), "start": _fmt(start + shift),
                           "end": _fmt(start + shift + new_len), "officer_accepts": rng.random() < 0.5,
                           "slots": [0]})
            if not events[-1]["officer_accepts"]:
                events.append({"type": "assign", "slot": 0, "officer": f"R{rng.randrange(1, 40):03d}"})
    elif kind < 0.35 and minutes > 60:
        events.append({"type": "release", "slot": 0, "at": _fmt(start + timedelta(minutes=minutes // 2))})
    elif kind < 0.45:
        late = rng.choice([0, 5, 15])
        extra = rng.choice([-30, 0, 15, 45])
        out = max(start + timedelta(minutes=late + 1), end + timedelta(minutes=extra))
        events.append({"type": "clock", "slot": 0, "in": _fmt(start + timedelta(minutes=late)), "out": _fmt(out)})
    elif kind < 0.48:
        events.append({"type": rng.choice(["unfilled", "no_show"]), "slot": n_slots - 1})

    out: dict[str, Any] = {
        "agency": rules.name,
        "request": {"id": rid, "vendor": f"Vendor {rng.randrange(1, 12):02d}", "category": category,
                    "received_at": _fmt(received), "start": _fmt(start), "end": _fmt(end),
                    "positions": positions, "vehicle": rng.random() < 0.3},
        "events": events,
    }
    if rng.random() < 0.3:
        out["payment"] = {"method": "card"}
    return out


def stories(rules: AgencyRules, seed: int = 0, count: int = 200) -> Iterator[dict[str, Any]]:
    """``count`` stories for the agency of ``rules``; story *i* depends only on (seed, i)."""
    for number in range(count):
        yield story(rules, random.Random(f"{seed}:{number}"), number)
