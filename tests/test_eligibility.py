"""Each eligibility rule, hand-built, with the exact reason a coordinator reads; the book's
hour counts (scheduled and worked, history, unbooking) and look-backs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from offduty_core.eligibility import (Eligibility, FunctionRule, JobsPerDay, OfficerBook, Shift, core_rules,
                                      forget_fixed, week_key)
from offduty_core.errors import InputError, PluginError
from offduty_core.officers import CycleSchedule, Officer, OffDutyRecord, Rank, Roster
from offduty_core.spec import HourCaps

TZ = ZoneInfo("America/Denver")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def shift(start: str, end: str, rid: str = "R-9", slot: int = 0, role: str = "officer", category: str = "security",
          **kw) -> Shift:
    ranks = frozenset({Rank.SUPERVISOR}) if role == "supervisor" else None
    quals = frozenset({"sso"}) if category == "school_safety" else frozenset()
    return Shift(request_id=rid, slot=slot, role=role, category=category, agency="town", start=at(start),
                 end=at(end), ranks=ranks, qualifications=quals, **kw)


def officer(badge: str = "117", **kw) -> Officer:
    kw.setdefault("seniority_date", date(2012, 5, 1))
    return Officer(badge=badge, agency="town", **kw)


def setup(*officers: Officer, **caps) -> tuple[OfficerBook, Eligibility]:
    book = OfficerBook(Roster(officers), TZ, HourCaps(**caps))
    return book, Eligibility(book)


def why(elig: Eligibility, o: Officer, s: Shift) -> str | None:
    reason = elig.why_not(o, s)
    return None if reason is None else str(reason)


def test_approved_and_active():
    a, b = officer("1", approved=False), officer("2", active=False)
    _, elig = setup(a, b)
    s = shift("2027-03-01T18:00", "2027-03-01T22:00")
    assert why(elig, a, s) == "badge 1: not approved for off-duty work"
    assert why(elig, b, s) == "badge 2: not active (on leave or suspended)"


def test_supervisor_slot_needs_supervisor_rank_but_a_supervisor_may_work_an_officer_slot():
    cop, sgt = officer("1"), officer("2", rank="supervisor")
    _, elig = setup(cop, sgt)
    sup = shift("2027-03-01T18:00", "2027-03-01T22:00", role="supervisor")
    assert why(elig, cop, sup) == "badge 1: a supervisor slot needs supervisor rank; rank is officer"
    assert why(elig, sgt, sup) is None
    assert why(elig, sgt, shift("2027-03-01T18:00", "2027-03-01T22:00")) is None


def test_school_safety_needs_sso():
    plain, sso = officer("1", qualifications={"motor"}), officer("2", qualifications={"sso"})
    _, elig = setup(plain, sso)
    s = shift("2027-03-01T07:00", "2027-03-01T09:00", category="school_safety")
    assert why(elig, plain, s) == "badge 1: a school_safety job needs qualification sso; holds motor"
    assert why(elig, sso, s) is None


def test_barred_from_a_repost():
    o = officer("117")
    _, elig = setup(o)
    s = shift("2027-03-01T18:00", "2027-03-01T22:00", barred=frozenset({"117"}))
    assert why(elig, o, s) == ("badge 117: barred from R-9 slot 0 (could not work its moved start time, "
                               "or dropped it)")


def test_on_duty_overlap_and_rest_before_duty():
    o = officer("117", schedule=CycleSchedule(pattern="5x8", shift_start=time(7), anchor=date(2027, 3, 1)))
    _, elig = setup(o, min_rest=timedelta(hours=8))
    assert why(elig, o, shift("2027-03-01T14:00", "2027-03-01T18:00")) == (
        "badge 117: on duty 2027-03-01 07:00-15:00 (5x8 from 2027-03-01 at 07:00), which overlaps the shift")
    # Right after duty is fine; ending too close to the next day's duty is not.
    assert why(elig, o, shift("2027-03-01T15:00", "2027-03-01T19:00")) is None
    assert why(elig, o, shift("2027-03-01T21:00", "2027-03-02T01:00")) == (
        "badge 117: only 6 h rest before going on duty at 2027-03-02 07:00; the minimum is 8 h")
    # Saturday is a day off: the whole day is free, and Sunday has no duty to rest for.
    assert why(elig, o, shift("2027-03-06T06:00", "2027-03-06T21:00")) is None


def test_overlap_with_another_off_duty_shift():
    o = officer("117")
    book, elig = setup(o, min_rest=timedelta(0))
    book.book(o, ("R-1", 0), at("2027-03-01T18:00"), at("2027-03-01T22:00"))
    assert why(elig, o, shift("2027-03-01T20:00", "2027-03-01T23:00")) == (
        "badge 117: already booked on R-1 slot 0 (2027-03-01 18:00-22:00), which overlaps")
    assert why(elig, o, shift("2027-03-01T16:00", "2027-03-01T18:30")) is not None
    assert why(elig, o, shift("2027-03-01T22:00", "2027-03-01T23:00")) is None  # back to back is no overlap
    assert why(elig, o, shift("2027-03-01T14:00", "2027-03-01T18:00")) is None


def test_minimum_rest_between_off_duty_shifts_both_ways():
    o = officer("117")
    book, elig = setup(o, min_rest=timedelta(hours=8))
    book.book(o, ("R-1", 0), at("2027-03-01T08:00"), at("2027-03-01T12:00"))
    assert why(elig, o, shift("2027-03-01T14:00", "2027-03-01T18:00")) == (
        "badge 117: only 2 h rest after R-1 slot 0 ending 2027-03-01 12:00; the minimum is 8 h")
    assert why(elig, o, shift("2027-03-01T01:30", "2027-03-01T04:00")) == (
        "badge 117: only 4 h rest before R-1 slot 0 starting 2027-03-01 08:00; the minimum is 8 h")
    assert why(elig, o, shift("2027-03-01T20:00", "2027-03-01T23:00")) is None  # exactly 8 h


def test_daily_cap_counts_each_local_day_of_a_shift():
    o = officer("117")
    book, elig = setup(o, daily="10", min_rest=timedelta(0))
    book.book(o, ("R-1", 0), at("2027-03-01T08:00"), at("2027-03-01T16:00"))
    assert why(elig, o, shift("2027-03-01T18:00", "2027-03-01T22:00")) == (
        "badge 117: daily cap 10 h would be exceeded on 2027-03-01: 8 h scheduled + 4 h")
    assert why(elig, o, shift("2027-03-01T22:00", "2027-03-02T04:00")) is None  # 2 h on the 1st, 4 h on the 2nd
    assert why(elig, o, shift("2027-03-01T18:00", "2027-03-01T20:00")) is None  # exactly 10 h


def test_weekly_cap_uses_the_agency_week_start():
    o = officer("117")
    book, elig = setup(o, daily=None, weekly="24", min_rest=timedelta(0))
    for i, day in enumerate(("2027-03-01", "2027-03-02")):  # Mon and Tue: 22 h
        book.book(o, (f"R-{i}", 0), at(f"{day}T06:00"), at(f"{day}T17:00"))
    assert why(elig, o, shift("2027-03-05T18:00", "2027-03-05T22:00")) == (
        "badge 117: weekly cap 24 h would be exceeded: 22 h scheduled + 4 h (week from Mon 2027-03-01)")
    assert why(elig, o, shift("2027-03-07T18:00", "2027-03-07T20:00")) is None  # Sunday: 24 h exactly
    assert why(elig, o, shift("2027-03-08T18:00", "2027-03-08T22:00")) is None  # next Monday: a new week
    # With weeks from Sunday, Sunday 28 Feb belongs to the same week as Monday and Tuesday.
    book2, elig2 = setup(o, daily=None, weekly="24", min_rest=timedelta(0), week_start=6)
    for i, day in enumerate(("2027-03-01", "2027-03-02")):
        book2.book(o, (f"R-{i}", 0), at(f"{day}T06:00"), at(f"{day}T17:00"))
    assert "week from Sun 2027-02-28" in why(elig2, o, shift("2027-02-28T18:00", "2027-02-28T22:00"))
    assert why(elig2, o, shift("2027-03-07T18:00", "2027-03-07T22:00")) is None  # Sunday starts a new week


def test_monthly_cap_and_history_count():
    o = officer("117", history=(OffDutyRecord(day=date(2027, 3, 2), hours="14"),
                                OffDutyRecord(day=date(2027, 3, 3), hours="16")))
    book, elig = setup(o, daily=None, monthly="40", min_rest=timedelta(0))
    book.book(o, ("R-1", 0), at("2027-03-10T08:00"), at("2027-03-10T16:00"))
    assert why(elig, o, shift("2027-03-20T18:00", "2027-03-20T22:00")) == (
        "badge 117: monthly cap 40 h would be exceeded in 2027-03: 38 h scheduled + 4 h")
    assert why(elig, o, shift("2027-04-01T18:00", "2027-04-01T22:00")) is None


def test_worked_hours_replace_scheduled_hours_and_unbooking_restores_the_counts():
    o = officer("117")
    book, elig = setup(o, daily="10", min_rest=timedelta(0))
    key = ("R-1", 0)
    book.book(o, key, at("2027-03-01T08:00"), at("2027-03-01T16:00"))
    late = shift("2027-03-01T17:00", "2027-03-01T21:00")
    assert why(elig, o, late) is not None
    book.set_hours(key, at("2027-03-01T08:00"), at("2027-03-01T12:00"))  # released at noon
    assert why(elig, o, late) is None
    assert book.day_secs[("117", date(2027, 3, 1).toordinal())] == 4 * 3600
    book.unbook(key)
    assert book.day_secs == {} and book.week_secs == {} and book.month_secs == {} and book.day_jobs == {}
    assert book.bookings_of("117") == []


def test_rechecking_a_held_shift_ignores_the_officers_own_booking():
    """A moved start: the officer's own booking of the shift neither overlaps nor counts."""
    o = officer("117")
    book, elig = setup(o, daily="8")
    book.book(o, ("R-9", 0), at("2027-03-01T08:00"), at("2027-03-01T16:00"))
    moved = shift("2027-03-01T09:00", "2027-03-01T17:00")
    assert why(elig, o, moved) is None
    other = shift("2027-03-01T09:00", "2027-03-01T17:00", rid="R-10")
    assert "overlaps" in why(elig, o, other)


def test_daylight_saving_day_counts_real_hours():
    o = officer("117")
    _, elig = setup(o, daily="7")
    # 14 March 2027 springs forward: 00:00-08:00 wall clock is 7 real hours.
    assert why(elig, o, shift("2027-03-14T00:00", "2027-03-14T08:00")) is None
    assert "daily cap 7 h would be exceeded" in why(elig, o, shift("2027-03-15T00:00", "2027-03-15T08:00"))


def test_jobs_per_day_rule():
    o = officer("117")
    book = OfficerBook(Roster([o]), TZ, HourCaps(min_rest=timedelta(0)))
    elig = Eligibility(book, core_rules() + (JobsPerDay(1),))
    book.book(o, ("R-1", 0), at("2027-03-01T08:00"), at("2027-03-01T10:00"))
    assert why(elig, o, shift("2027-03-01T12:00", "2027-03-01T14:00")) == (
        "badge 117: already has 1 job on 2027-03-01; the limit is 1 a day")
    assert why(elig, o, shift("2027-03-02T12:00", "2027-03-02T14:00")) is None


def test_jobs_per_day_counts_a_held_shift_moved_to_another_day():
    """Re-checking the officer's own booking discounts it only on the day it is booked."""
    o = officer("117")
    book = OfficerBook(Roster([o]), TZ, HourCaps(min_rest=timedelta(0)))
    elig = Eligibility(book, core_rules() + (JobsPerDay(1),))
    book.book(o, ("R-1", 0), at("2027-03-01T08:00"), at("2027-03-01T10:00"))
    book.book(o, ("R-2", 0), at("2027-03-02T08:00"), at("2027-03-02T10:00"))
    # R-1 still on 1 March: its own booking is discounted.
    assert why(elig, o, shift("2027-03-01T12:00", "2027-03-01T14:00", rid="R-1")) is None
    # R-1 moved to 2 March, where R-2 already is: one job too many.
    assert why(elig, o, shift("2027-03-02T12:00", "2027-03-02T14:00", rid="R-1")) == (
        "badge 117: already has 1 job on 2027-03-02; the limit is 1 a day")


def test_custom_rules_compose_and_names_must_be_unique():
    o = officer("117")
    book = OfficerBook(Roster([o]), TZ)
    no_nights = FunctionRule("no-nights", lambda off, s, b: "no night work" if s.start.astimezone(TZ).hour >= 22 else None)
    elig = Eligibility(book).with_rules([no_nights])
    assert why(elig, o, shift("2027-03-01T22:00", "2027-03-01T23:30")) == "badge 117: no night work"
    with pytest.raises(PluginError, match="'no-nights' is registered twice"):
        Eligibility(book, core_rules() + (no_nights, no_nights))
    with pytest.raises(PluginError, match="needs a 'name'"):
        Eligibility(book, (object(),))


def test_reasons_lists_every_objection():
    o = officer("117", approved=False, qualifications=set())
    _, elig = setup(o)
    s = shift("2027-03-01T07:00", "2027-03-01T09:00", category="school_safety", barred=frozenset({"117"}))
    assert [r.rule for r in elig.reasons(o, s)] == ["approved-active", "qualification", "barred"]


def test_lookbacks_year_to_date_rolling_30_days_and_job_count():
    o = officer("117", history=(OffDutyRecord(day=date(2026, 12, 30), hours="5"),
                                OffDutyRecord(day=date(2027, 1, 20), hours="3")))
    book, _ = setup(o, min_rest=timedelta(0))
    book.book(o, ("R-1", 0), at("2027-02-25T08:00"), at("2027-02-25T12:00"))
    book.book(o, ("R-2", 0), at("2027-03-10T08:00"), at("2027-03-10T10:00"))  # after "now"
    now = at("2027-03-01T12:00")
    assert book.lookback(o, "year_to_date", now) == 7 * 3600  # 20 Jan + 25 Feb
    assert book.lookback(o, "rolling_30_days", now) == 4 * 3600  # 25 Feb only (31 Jan .. 1 Mar)
    assert book.lookback(o, "job_count", now) == 2
    assert book.lookback(o, "year_to_date", at("2027-12-31T12:00")) == 9 * 3600


def test_week_key_groups_days_by_the_week_start():
    monday, sunday = date(2027, 3, 1).toordinal(), date(2027, 3, 7).toordinal()
    assert week_key(monday, 0) == week_key(sunday, 0)
    assert week_key(sunday, 6) == week_key(monday + 7, 6)


def _one_by_one(elig: Eligibility, o: Officer, s: Shift) -> tuple[str | None, str | None]:
    """The first objecting rule's name by its ``find``/``check`` and the first reason by ``check``,
    each rule asked in turn (what Eligibility's fused core check must agree with)."""
    first = next((r.name for r in elig.rules if (getattr(r, "find", None) or r.check)(o, s, elig.book)), None)
    reason = next((f"badge {o.badge}: {t}" for r in elig.rules if (t := r.check(o, s, elig.book))), None)
    return first, reason


@pytest.mark.parametrize("seed", range(6))
def test_fused_core_check_agrees_with_the_rules_one_by_one(seed):
    import random

    rng = random.Random(seed)
    officers = [officer(str(100 + i), rank=rng.choice([Rank.OFFICER, Rank.SUPERVISOR]),
                        qualifications=rng.choice([[], ["sso"]]), approved=rng.random() > 0.1,
                        active=rng.random() > 0.1,
                        schedule=rng.choice([None, CycleSchedule(pattern=rng.choice(["5x8", "4x10", "pitman"]),
                                                                 shift_start=time(rng.choice([6, 7, 15, 20, 23])),
                                                                 anchor=date(2027, 3, 1) - timedelta(days=rng.randrange(14)))]))
                for i in range(8)]
    caps = rng.choice([dict(daily=12, weekly=30, monthly=80, min_rest=timedelta(hours=8)),
                       dict(daily=None, weekly=None, monthly=None, min_rest=timedelta(0)),
                       dict(daily=None, weekly=20, monthly=None, min_rest=timedelta(hours=10), week_start=6)])
    book = OfficerBook(Roster(officers), TZ, HourCaps(**caps))
    for elig in (Eligibility(book), Eligibility(book, core_rules() + (JobsPerDay(1),)),
                 Eligibility(book, core_rules()[:4] + (type(core_rules()[4])(rest_before_duty=False),)
                             + core_rules()[5:]),
                 Eligibility(book, core_rules()[:7] + core_rules()[7:][::-1])):  # caps in another order
        for n in range(400):
            day = datetime(2027, 3, 1, 7, tzinfo=timezone.utc) + timedelta(days=rng.randrange(40),
                                                                         minutes=15 * rng.randrange(96))
            s = Shift(request_id=f"R-{rng.randrange(60)}", slot=rng.randrange(2), role=rng.choice(["officer", "supervisor"]),
                      category=rng.choice(["security", "school_safety"]), agency="town", start=day,
                      end=day + timedelta(minutes=30 * rng.randrange(1, 30)),
                      ranks=rng.choice([None, frozenset({Rank.SUPERVISOR})]),
                      qualifications=rng.choice([frozenset(), frozenset({"sso"})]),
                      barred=frozenset(rng.sample([o.badge for o in officers], rng.randrange(2))))
            o = rng.choice(officers)
            first, reason = _one_by_one(elig, o, s)
            assert elig.objection(o, s) == first
            elig._last = None
            assert (None if (r := elig.why_not(o, s)) is None else str(r)) == reason
            elig._last = None
            if first is None and book.booking(s.key) is None and rng.random() < 0.5:
                book.book(o, s.key, s.start, s.end)  # fill the book as the checks go
            elif rng.random() < 0.05 and book.booking(s.key) is not None:
                book.set_hours(s.key, s.start, s.start + timedelta(minutes=30))


def test_the_fixed_rules_answer_once_per_shift_and_officer_and_anew_for_a_changed_one(monkeypatch):
    import attrs

    from offduty_core import eligibility as elig_module

    asked = []
    real = elig_module._fixed_core_objection
    monkeypatch.setattr(elig_module, "_fixed_core_objection", lambda *a: asked.append(a[:2]) or real(*a))
    duty = CycleSchedule(pattern="5x8", shift_start=time(7), anchor=date(2027, 3, 1))
    o, other = officer("117", schedule=duty), officer("118")
    book, elig = setup(o, other, daily="12", min_rest=timedelta(hours=8))
    s = shift("2027-03-01T10:00", "2027-03-01T12:00")  # during 117's duty shift
    for _ in range(3):
        assert elig.objection(o, s) == "on-duty" and elig.fixed_objection(o, s)
        elig._last = None
        assert elig.objection(other, s) is None and not elig.fixed_objection(other, s)
        elig._last = None
    assert asked == [(o, s), (other, s)]  # each pair once
    book.book(other, ("R-1", 0), at("2027-03-01T09:00"), at("2027-03-01T11:00"))
    assert elig.objection(other, s) == "overlap" and not elig.fixed_objection(other, s)  # booked: asked anew
    barred = attrs.evolve(s, barred=frozenset({"118"}))
    assert elig.objection(other, barred) == "barred" and elig.fixed_objection(other, barred)
    away = attrs.evolve(other, active=False)
    assert elig.objection(away, s) == "approved-active" and elig.fixed_objection(away, s)
    assert why(elig, o, s).startswith("badge 117: on duty")
    # Kept on the shift: a new shift (moved, barred) starts without them, and the board
    # drops them when the posting closes.
    assert s.fixed is not None and barred.fixed is not s.fixed
    forget_fixed(s)
    asked.clear()
    assert elig.fixed_objection(o, s) and asked == [(o, s)]


def test_the_three_caps_are_one_rule_over_a_period():
    from offduty_core.eligibility import PeriodCap
    from offduty_core.eligibility_rules import starts_with_core

    assert [rule.name for rule in core_rules()[7:]] == ["daily-cap", "weekly-cap", "monthly-cap"]
    assert {type(rule) for rule in core_rules()[7:]} == {PeriodCap}
    with pytest.raises(ValueError):
        PeriodCap("yearly")
    # Only the core's own order is asked in one fused call; another order is asked rule by rule.
    assert starts_with_core(core_rules()) and not starts_with_core(core_rules()[:7] + core_rules()[7:][::-1])


def test_a_forgotten_booking_keeps_its_hours_and_leaves_the_officers_bookings_once_out_of_rests_reach():
    o = officer("117")
    book, elig = setup(o, daily="12", min_rest=timedelta(hours=8))
    old, held, later = ("R-1", 0), ("R-2", 0), ("R-3", 0)
    book.book(o, old, at("2027-03-01T08:00"), at("2027-03-01T12:00"))
    book.book(o, held, at("2027-03-02T08:00"), at("2027-03-02T12:00"))
    book.book(o, later, at("2027-03-05T08:00"), at("2027-03-05T12:00"))
    ts = lambda text: int(at(text).timestamp())  # noqa: E731
    book.forget(old, ts("2027-03-01T16:00"))  # within the rest of its end: kept for overlap and rest
    assert book.holder(old) is None and [e[2] for e in book.bookings_of("117")] == [old, held, later]
    assert why(elig, o, shift("2027-03-01T18:00", "2027-03-01T19:00")) is not None  # 6 h after it: no rest
    assert book.day_secs[("117", date(2027, 3, 1).toordinal())] == 4 * 3600
    book.forget(held, ts("2027-03-04T00:00"))  # both out of reach now, both forgotten
    assert [e[2] for e in book.bookings_of("117")] == [later]
    assert book.day_secs[("117", date(2027, 3, 2).toordinal())] == 4 * 3600  # still counted
    book.forget(("R-404", 0), ts("2027-03-04T00:00"))  # not booked: nothing happens


def test_a_booking_still_held_stops_the_forgetting_of_older_ones_behind_it():
    o = officer("117")
    book, _ = setup(o, min_rest=timedelta(0))
    book.book(o, ("R-1", 0), at("2027-03-01T08:00"), at("2027-03-01T12:00"))
    book.book(o, ("R-2", 0), at("2027-03-02T08:00"), at("2027-03-02T12:00"))
    book.forget(("R-2", 0), int(at("2027-03-10T00:00").timestamp()))
    assert [e[2] for e in book.bookings_of("117")] == [("R-1", 0), ("R-2", 0)]  # R-1 is still held
    book.unbook(("R-1", 0))  # and can still be unbooked
    assert [e[2] for e in book.bookings_of("117")] == [("R-2", 0)]


@pytest.mark.parametrize("seed", range(4))
def test_pruning_changes_no_check_or_lookback_from_then_on(seed):
    """Two books with the same bookings over fourteen months; one pruned as time passes.  Every
    check of a later shift and every look-back at the time of pruning or later agree."""
    import random

    rng = random.Random(seed)
    officers = [officer(str(100 + i)) for i in range(4)]
    caps = dict(daily=10, weekly=rng.choice([20, 30]), monthly=60, min_rest=timedelta(hours=8),
                week_start=rng.randrange(7))
    books = [OfficerBook(Roster(officers), TZ, HourCaps(**caps)) for _ in range(2)]
    eligs = [Eligibility(b, core_rules() + (JobsPerDay(1),)) for b in books]
    t = datetime(2026, 12, 1, 7, tzinfo=timezone.utc)
    n = 0
    while t < datetime(2028, 2, 1, tzinfo=timezone.utc):
        t += timedelta(hours=rng.randrange(4, 40))
        now = int(t.timestamp())
        if rng.random() < 0.1:
            books[1].prune(now)
        for kind in ("year_to_date", "rolling_30_days", "job_count"):
            o = rng.choice(officers)
            assert books[0].lookback(o, kind, t) == books[1].lookback(o, kind, t)
        start = t + timedelta(minutes=15 * rng.randrange(1, 400))
        s = Shift(request_id=f"R-{n}", slot=0, role="officer", category="security", agency="town", start=start,
                  end=start + timedelta(minutes=30 * rng.randrange(1, 24)))
        n += 1
        o = rng.choice(officers)
        answers = [e.objection(o, s) for e in eligs]
        assert answers[0] == answers[1]
        if answers[0] is None:
            for b in books:
                b.book(o, s.key, s.start, s.end)
    assert len(books[1].day_secs) < len(books[0].day_secs)


def test_worked_hours_equal_to_the_scheduled_span_change_nothing_and_a_second_later_do():
    o = officer("117")
    book, _ = setup(o)
    key = ("R-1", 0)
    booked = book.book(o, key, at("2027-03-01T08:00"), at("2027-03-01T16:00"))
    counts = (dict(book.day_secs), dict(book.week_secs), dict(book.month_secs))
    assert book.set_hours(key, at("2027-03-01T08:00").astimezone(timezone.utc), at("2027-03-01T16:00")) is booked
    assert (book.day_secs, book.week_secs, book.month_secs) == counts
    book.set_hours(key, at("2027-03-01T08:00"), at("2027-03-01T16:00:01"))
    assert book.day_secs[("117", date(2027, 3, 1).toordinal())] == 8 * 3600 + 1
    book.set_hours(key, at("2027-03-01T08:00"), at("2027-03-01T16:00"))  # back to the span booked
    assert (book.day_secs, book.week_secs, book.month_secs) == counts


@pytest.mark.parametrize("seed", range(3))
def test_the_duty_table_finds_the_first_duty_start_in_an_interval_asked_in_any_order(seed):
    """The book's table of duty starts is worked out as days are asked for, backwards and
    forwards; it answers as the schedule's own duty intervals do, across daylight saving."""
    import random

    from offduty_core.officer_book import DutyStarts

    rng = random.Random(seed)
    schedule = CycleSchedule(pattern=rng.choice(["5x8", "4x10", "pitman"]), shift_start=time(rng.choice([0, 2, 7, 23])),
                             anchor=date(2027, 1, 4) + timedelta(days=rng.randrange(14)))
    starts = [int(a.timestamp()) for a, _ in schedule.on_duty(date(2026, 12, 1), date(2028, 2, 1), TZ)]
    table = DutyStarts(schedule, TZ.key)
    base = int(datetime(2027, 1, 1, tzinfo=timezone.utc).timestamp())
    for _ in range(300):
        low = base + rng.randrange(0, 360 * 86400)
        high = low + rng.randrange(1, 3 * 86400)
        expected = next((a for a in starts if low < a < high), None)
        assert table.first_in(low, high) == expected
    assert table.starts == sorted(set(table.starts))  # in order, each once, however it grew


@pytest.mark.parametrize("tz_name", ["America/Denver", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata"])
def test_a_shape_cuts_as_split_at_local_midnight_does_also_with_microseconds(tz_name):
    """shape_of works in whole epoch seconds against the zone's midnights; it gives what the
    datetime split gives, across daylight saving (Santiago changes at midnight, Lord Howe by
    half an hour), for spans of seconds to days, and for instants with microseconds."""
    import random

    from offduty_core.days import month_key
    from offduty_core.shifts import shape_at, shape_of
    from offduty_core.timeutil import split_at_local_midnight

    rng, zone = random.Random(tz_name), ZoneInfo(tz_name)
    for _ in range(1500):
        start = (datetime(2027, rng.choice([1, 4, 9, 10, 11]), rng.randint(1, 28), tzinfo=timezone.utc)
                 + timedelta(seconds=rng.randrange(3 * 86400), microseconds=rng.choice([0, rng.randrange(10**6)])))
        end = start + timedelta(seconds=rng.choice([rng.randrange(1, 60), rng.randrange(1, 30 * 3600),
                                                    rng.randrange(1, 4 * 86400)]),
                                microseconds=rng.choice([0, rng.randrange(10**6)]))
        week_start = rng.randrange(7)
        days, weeks, months = [], {}, {}
        for day, secs in split_at_local_midnight(start, end, zone):
            days.append((day.toordinal(), secs))
            weeks[week_key(day.toordinal(), week_start)] = weeks.get(week_key(day.toordinal(), week_start), 0) + secs
            months[month_key(day)] = months.get(month_key(day), 0) + secs
        shape = shape_of(start.astimezone(zone) if rng.random() < 0.3 else start, end, tz_name, week_start)
        assert shape == (int(start.timestamp()), int(end.timestamp()), tuple(days), tuple(weeks.items()),
                         tuple(months.items()), start.astimezone(zone).date().toordinal())
        if not start.microsecond and not end.microsecond:
            assert shape_at(int(start.timestamp()), int(end.timestamp()), tz_name, week_start) == shape


def test_barring_and_moving_a_shift_rebuild_it_as_evolve_would():
    """``Shift.barring`` and ``Shift.moved`` (drops and moves) equal ``attrs.evolve``: every
    field kept, the epoch seconds derived again, the per-shift caches (shapes, fixed answers)
    not carried over, and a move still checked."""
    import attrs

    base = shift("2026-03-06 18:00", "2026-03-06 22:00", category="school_safety", set_id="S-1", barred=frozenset({"9"}))
    object.__setattr__(base, "fixed", ("stale", {}))
    object.__setattr__(base, "shapes", ("stale", None))
    barred = base.barring("117")
    assert barred == attrs.evolve(base, barred=base.barred | {"117"})
    assert barred.barred == {"9", "117"} and barred.fixed is None and barred.shapes is None
    moved = base.moved(at("2026-03-07 08:00"), at("2026-03-07 12:00"))
    assert moved == attrs.evolve(base, start=at("2026-03-07 08:00"), end=at("2026-03-07 12:00"))
    assert (moved.start_ts, moved.end_ts) == (int(moved.start.timestamp()), int(moved.end.timestamp()))
    assert moved.fixed is None and moved.shapes is None
    with pytest.raises(InputError):
        base.moved(at("2026-03-07 12:00"), at("2026-03-07 08:00"))


def test_a_24_hour_duty_from_two_days_before_is_seen_across_the_spring_change():
    # On duty 2027-03-13 23:30 MST for 24 real hours: the next day is 23 h long (summer time
    # starts), so the duty runs to 2027-03-15 00:30 MDT and overlaps a shift from 00:00.  The
    # table of duty starts finds it; the day-by-day look it replaced began a day too late.
    from datetime import date, time

    from offduty_core.officers import DateSchedule

    o = officer(schedule=DateSchedule(dates=[date(2027, 3, 13)], shift_start=time(23, 30), shift_hours=24))
    _book, elig = setup(o)
    s = shift("2027-03-15T00:00", "2027-03-15T04:00")
    assert elig.objection(o, s) == "on-duty" and elig.fixed_objection(o, s)
    assert "2027-03-13 23:30-2027-03-15 00:30" in why(elig, o, s)


def test_cycles_a_whole_cycle_apart_share_one_duty_table_and_word_their_own_schedule():
    """Officers whose cycles are whole cycles apart are on duty at the same instants: the book
    works their starts out once (one table), and each reason still names the officer's own
    schedule.  A cycle a day apart, or another start time, gets its own table."""
    first = CycleSchedule(pattern="5x8", shift_start=time(7), anchor=date(2027, 3, 1))
    later = CycleSchedule(pattern="5x8", shift_start=time(7), anchor=date(2027, 3, 15))  # two weeks on
    a, b = officer("117", schedule=first), officer("118", schedule=later)
    c = officer("119", schedule=CycleSchedule(pattern="5x8", shift_start=time(7), anchor=date(2027, 3, 2)))
    d = officer("120", schedule=CycleSchedule(pattern="5x8", shift_start=time(8), anchor=date(2027, 3, 1)))
    book, elig = setup(a, b, c, d)
    assert book.duty_table(a) is book.duty_table(b)
    assert book.duty_table(c) is not book.duty_table(a) and book.duty_table(d) is not book.duty_table(a)
    s = shift("2027-03-03T10:00", "2027-03-03T12:00")  # a Wednesday: every one of them on duty
    assert why(elig, a, s) == ("badge 117: on duty 2027-03-03 07:00-15:00 (5x8 from 2027-03-01 at 07:00), "
                               "which overlaps the shift")
    assert why(elig, b, s) == ("badge 118: on duty 2027-03-03 07:00-15:00 (5x8 from 2027-03-15 at 07:00), "
                               "which overlaps the shift")
    saturday = shift("2027-03-06T10:00", "2027-03-06T12:00")
    assert why(elig, a, saturday) is None and why(elig, b, saturday) is None
    assert why(elig, c, saturday) is not None  # its cycle runs a day later: on duty on Saturday
