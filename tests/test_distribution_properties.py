"""Properties over random rosters and request streams, for all five methods.

A naive oracle (plain lists, no indexes, its own hour sums) replays the board's records in
order and checks, at every award and every kept start-time change: the officer was in the
audience, approved and active, of the right rank and qualification, not barred, not on duty,
rested, not double-booked, and under every cap.  It also checks that a seniority (fairness)
award went to the most senior (fewest-hours) eligible applicant, that every rotation offer
went to the officer the list's roll mode puts first, and that the same inputs give the same
records.

Run deeper with ``OFFDUTY_PROPERTY_SCALE=20 python -m pytest tests/test_distribution_properties.py``.
"""

from __future__ import annotations

import functools
import os
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from distribution_helpers import TOWN, TZ, VILLE, agency_module
from offduty_core import Registry, get_plugin_manager
from offduty_core.lifecycle import (Accept, Apply, CancelRequest, ChangeStart, Decline, DropShift, JobBoard,
                                    SubmitRequest)
from offduty_core.model import Request
from offduty_core.officers import CycleSchedule, Officer, Rank, Roster, WeeklySchedule
from offduty_core.spec import HourCaps
from offduty_core.timeutil import split_at_local_midnight

UTC = timezone.utc
#: Multiply every property's example count (e.g. OFFDUTY_PROPERTY_SCALE=20 for a deep run).
SCALE = max(1, int(os.environ.get("OFFDUTY_PROPERTY_SCALE", "1")))
ORIGIN = datetime(2027, 3, 1, 0, 0, tzinfo=TZ)
CATEGORIES = ("security", "school_safety", "traffic_control")


@functools.lru_cache(maxsize=None)
def registry_for(caps: HourCaps) -> Registry:
    return Registry(get_plugin_manager(entry_points=False, extra=[agency_module(TOWN, caps), agency_module(VILLE, caps)]))


# --- strategies -------------------------------------------------------------------------

schedules = st.one_of(
    st.none(),
    st.builds(lambda p, h, d: CycleSchedule(pattern=p, shift_start=time(h), anchor=ORIGIN.date() + timedelta(days=d)),
              st.sampled_from(["5x8", "4x10", "pitman"]), st.sampled_from([6, 7, 15, 18, 23]), st.integers(0, 13)),
    st.builds(lambda d, h: WeeklySchedule(days_off={d, (d + 1) % 7}, shift_start=time(h)),
              st.integers(0, 6), st.sampled_from([8, 16])),
)


@st.composite
def rosters(draw):
    n = draw(st.integers(2, 10))
    officers = []
    for i in range(n):
        agency = TOWN if i < 2 else draw(st.sampled_from([TOWN, TOWN, VILLE]))
        officers.append(Officer(
            badge=str(10 + i), agency=agency,
            rank=draw(st.sampled_from([Rank.OFFICER, Rank.OFFICER, Rank.SUPERVISOR])),
            seniority_date=date(2000, 1, 1) + timedelta(days=draw(st.integers(0, 3)) * 365),
            qualifications=draw(st.sampled_from([(), (), ("sso",)])),
            approved=draw(st.booleans()) or draw(st.booleans()), active=draw(st.integers(0, 9)) > 0,
            schedule=draw(schedules)))
    return Roster(officers)


caps_strategy = st.builds(
    lambda daily, weekly, monthly, rest, ws: HourCaps(daily=daily, weekly=weekly, monthly=monthly,
                                                      min_rest=timedelta(hours=rest), week_start=ws),
    st.sampled_from([None, "8", "12", "16"]), st.sampled_from([None, "12", "24", "40"]),
    st.sampled_from([None, "30", "60"]), st.sampled_from([0, 4, 8, 10]), st.integers(0, 6))

methods = st.one_of(
    st.builds(lambda j: ("immediate-release", {"jobs_per_day": j}), st.sampled_from([None, 1, 2])),
    st.builds(lambda w: ("seniority", {"window_hours": w}), st.sampled_from([2, 12, 36])),
    st.builds(lambda r, m: ("sequencing", {"roll": r, "response_minutes": m}),
              st.sampled_from(["accepted", "offered"]), st.sampled_from([30, 240])),
    st.builds(lambda o, s: ("bidding", {"order": o, "seed": s, "window_hours": 12}),
              st.sampled_from(["fewest_hours", "seniority", "random"]), st.integers(0, 3)),
    st.builds(lambda lb: ("fairness", {"lookback": lb, "window_hours": 12}),
              st.sampled_from(["year_to_date", "rolling_30_days", "job_count"])),
)

requests_strategy = st.lists(st.tuples(
    st.integers(6, 96),            # start, hours after ORIGIN
    st.integers(1, 10),            # duration hours
    st.integers(1, 3),             # officers
    st.sampled_from(CATEGORIES),
    st.integers(2, 48),            # lead time hours
    st.sampled_from([0, 0, 1]),    # supervisors
), min_size=1, max_size=6)

intents_strategy = st.lists(st.tuples(
    st.sampled_from(["apply"] * 6 + ["answer"] * 3 + ["drop", "cancel", "change"]),
    st.integers(1, 240),           # minutes after the previous intent
    st.integers(0, 10 ** 6), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6),
), min_size=15, max_size=60)

configs = st.tuples(methods, st.sampled_from([None, 6, 30]))  # back-up agency opens after N hours


# --- driving ----------------------------------------------------------------------------


def build(roster, caps, method, backup_after, requests):
    name, params = method
    config = {"method": name, "params": params}
    if backup_after is not None:
        config.update(backup_agencies=[VILLE], release_after_hours=backup_after)
    board = JobBoard(registry_for(caps), roster, distribution={TOWN: {"*": config}})
    inputs = []
    for i, (start_h, hours, n, category, lead, sups) in enumerate(requests):
        start = ORIGIN + timedelta(hours=start_h)
        req = Request(id=f"R-{i}", vendor="V", category=category, received_at=max(ORIGIN, start - timedelta(hours=lead)),
                      start=start, end=start + timedelta(hours=hours), positions={"officer": n, "supervisor": sups})
        inputs.append(SubmitRequest(agency=TOWN, request=req, shift_set="set" if name == "bidding" and i % 2 else None))
    return board, sorted(inputs, key=lambda e: e.at)


def run(roster, caps, method, backup_after, requests, intents) -> JobBoard:
    board, submits = build(roster, caps, method, backup_after, requests)
    badges = [o.badge for o in roster]
    now = ORIGIN
    for kind, minutes, a, b, c in intents:
        now = now + timedelta(minutes=minutes)
        while submits and submits[0].at <= now:
            board.handle(submits.pop(0))
        board.advance(now)
        jobs = [j for j in board.jobs.values() if j.status != "completed"]
        if not jobs:
            continue
        job = jobs[a % len(jobs)]
        st_ = job.slots[b % len(job.slots)]
        rid, slot = job.request.id, st_.slot.index
        if kind == "apply":
            cls = Apply if c % 2 else Accept
            # Mostly officers of the right rank and qualification (the pool), sometimes anyone.
            pool = [o.badge for a in (TOWN, VILLE) for o in roster.pool(a, st_.shift.ranks, st_.shift.qualifications)]
            choice = pool if pool and c % 4 else badges
            board.handle(cls(at=now, request_id=rid, slot=slot, badge=choice[(c // 4) % len(choice)]))
        elif kind == "answer":
            pending = [(j, s) for j in jobs for s in j.slots if s.posting is not None and s.posting.pending]
            if pending:
                j, s = pending[a % len(pending)]
                cls = Accept if c % 3 else Decline
                board.handle(cls(at=now, request_id=j.request.id, slot=s.slot.index, badge=s.posting.pending))
        elif kind == "drop":
            if st_.status == "filled" and now < st_.shift.start:
                board.handle(DropShift(at=now, request_id=rid, slot=slot))
        elif kind == "cancel":
            if now < st_.shift.start:
                board.handle(CancelRequest(at=now, request_id=rid, slots=(slot,) if c % 2 else None))
        elif kind == "change":
            live = [s for s in job.slots if s.status in ("pending", "open", "filled")]
            if live and all(now < s.shift.start for s in live):
                start = max(now + timedelta(hours=1), job.slots[0].shift.start + timedelta(hours=(c % 13) - 6))
                board.handle(ChangeStart(at=now, request_id=rid, start=start, end=start + timedelta(hours=1 + c % 6),
                                         officer_accepts=None if c % 3 else False))
    for submit_event in submits:
        board.handle(submit_event)
    board.run([])
    return board


# --- the oracle -------------------------------------------------------------------------


def pieces(start, end):
    return [(d, s) for d, s in split_at_local_midnight(start, end, TZ)]


class Oracle:
    """Naive bookkeeping from the records alone."""

    def __init__(self, board: JobBoard, caps: HourCaps, method, backup_after):
        self.board = board
        self.roster = board.roster
        self.caps = caps
        self.method, self.params = method
        self.held: dict[tuple, tuple[str, datetime, datetime]] = {}  # booked span: overlap and rest
        self.counted: dict[tuple, tuple[datetime, datetime]] = {}  # hours that count (worked, once known)
        self.barred: dict[tuple, set[str]] = {}
        self.applicants: dict[tuple, list[str]] = {}
        self.offered: dict[tuple, set[str]] = {}
        self.pending: dict[str, tuple] = {}
        self.released: set[tuple] = set()
        self.stage_open: set[tuple] = set()
        self.staged = backup_after is not None
        own = sorted((o for o in self.roster if o.agency == TOWN), key=lambda o: o.seniority)
        self.rotation = [o.badge for o in own]
        self.checked = {"award": 0, "window": 0, "offer": 0}
        self.shifts: dict[tuple, tuple] = {}  # (start, end, role, category) as last posted or moved

    # hours
    def hours_by(self, badge, bucket):
        out: dict = {}
        for key, (holder, s, e) in self.held.items():
            if holder == badge:
                s, e = self.counted.get(key, (s, e))
                for d, secs in pieces(s, e):
                    out[bucket(d)] = out.get(bucket(d), 0) + secs
        for rec in self.roster.get(badge).history:
            out[bucket(rec.day)] = out.get(bucket(rec.day), 0) + int(rec.hours * 3600)
        return out

    def week(self, d):
        return d - timedelta(days=(d.weekday() - self.caps.week_start) % 7)

    def lookback(self, officer, kind, now):
        today = now.astimezone(TZ).date()
        first = date(today.year, 1, 1) if kind != "rolling_30_days" else today - timedelta(days=29)
        if kind == "job_count":
            return sum(1 for h, s, e in self.held.values()
                       if h == officer.badge and first <= s.astimezone(TZ).date() <= today)
        days = self.hours_by(officer.badge, lambda d: d)
        return sum(v for d, v in days.items() if first <= d <= today)

    def why_not(self, officer, key, start, end, role, category, now, ignore=None):
        if key in self.barred and officer.badge in self.barred[key]:
            return "barred"
        if officer.agency != TOWN and not (officer.agency == VILLE and key in self.stage_open):
            return "audience"
        if not officer.approved or not officer.active:
            return "approved"
        if role == "supervisor" and officer.rank is not Rank.SUPERVISOR:
            return "rank"
        if category == "school_safety" and "sso" not in officer.qualifications:
            return "qualification"
        rest = self.caps.min_rest
        for k, (holder, s, e) in self.held.items():
            if holder != officer.badge or k == ignore:
                continue
            if s < end and start < e:
                return "overlap"
            if (start >= e and start - e < rest) or (s >= end and s - end < rest):
                return "rest"
        if officer.schedule is not None:
            d0 = start.astimezone(TZ).date() - timedelta(days=1)
            for a, b in officer.schedule.on_duty(d0, (end + rest).astimezone(TZ).date(), TZ):
                if a < end and start < b:
                    return "on-duty"
                if end <= a < end + rest:
                    return "rest-before-duty"
        held = dict(self.held)
        held.pop(ignore, None)
        saved, self.held = self.held, held
        try:
            for cap, bucket in ((self.caps.daily, lambda d: d), (self.caps.weekly, self.week),
                                (self.caps.monthly, lambda d: (d.year, d.month))):
                if cap is None:
                    continue
                have = self.hours_by(officer.badge, bucket)
                add: dict = {}
                for d, secs in pieces(start, end):
                    add[bucket(d)] = add.get(bucket(d), 0) + secs
                for k, secs in add.items():
                    if have.get(k, 0) + secs > int(cap * 3600):
                        return "cap"
        finally:
            self.held = saved
        if self.method == "immediate-release" and self.params.get("jobs_per_day"):
            day = start.astimezone(TZ).date()
            jobs = sum(1 for k, (h, s, e) in self.held.items()
                       if h == officer.badge and k != ignore and s.astimezone(TZ).date() == day)
            if jobs >= self.params["jobs_per_day"]:
                return "jobs-per-day"
        return None

    def replay(self):
        for r in self.board.records:
            key = (r.request_id, getattr(r, "slot", None))
            kind = r.kind
            if kind == "Posted":
                self.shifts[key] = (r.start, r.end, r.role, r.category)
                self.applicants[key] = []
                self.offered[key] = set()
                self.released.discard(key)
                self._clear_pending(key)
            elif kind == "StageOpened":
                self.stage_open.add(key)
            elif kind == "Applied":
                self.applicants[key].append(r.badge)
            elif kind == "ReleasedToAll":
                self.released.add(key)
            elif kind == "Offered":
                self.check_offer(r, key)
                self.offered[key].add(r.badge)
                self.pending[r.badge] = key
            elif kind in ("Declined", "Lapsed"):
                self.pending.pop(r.badge, None)
                if self.params.get("roll") == "offered":
                    self.roll(r.badge)
            elif kind == "Awarded":
                self.check_award(r, key)
                self.held[key] = (r.badge, r.start, r.end)
                self.counted.pop(key, None)
                self._clear_pending(key)
                if self.method == "sequencing":
                    self.roll(r.badge)
            elif kind == "Dropped":
                del self.held[key]
                self.barred.setdefault(key, set()).add(r.badge)
            elif kind == "Cancelled":
                if r.note.startswith("after the start"):  # an early release: still held, fewer hours
                    self.counted[key] = (self.held[key][1], r.at)
                else:
                    self.held.pop(key, None)
                self._clear_pending(key)
            elif kind == "ShiftUnfilled":
                self._clear_pending(key)
            elif kind == "StartChanged":
                _, _, role, category = self.shifts.get(key, (None, None, "officer", "security"))
                self.shifts[key] = (r.start, r.end, role, category)
                if r.badge is not None and r.kept:
                    officer = self.roster.get(r.badge)
                    reason = self.why_not(officer, key, r.start, r.end, role, category, r.at, ignore=key)
                    assert reason is None, f"kept {r.badge} on a moved {key} though {reason}"
                    self.held[key] = (r.badge, r.start, r.end)
                elif r.badge is not None:
                    del self.held[key]
                    self.barred.setdefault(key, set()).add(r.badge)
            elif kind == "NoShowReported":
                del self.held[key]

    def _clear_pending(self, key):
        for badge, k in list(self.pending.items()):
            if k == key:
                del self.pending[badge]

    def roll(self, badge):
        if badge in self.rotation:
            self.rotation.remove(badge)
            self.rotation.append(badge)

    def check_award(self, r, key):
        self.checked["award"] += 1
        _, _, role, category = self.shifts[key]
        assert (r.start, r.end) == self.shifts[key][:2], f"{key}: awarded at times it was not posted for"
        officer = self.roster.get(r.badge)
        reason = self.why_not(officer, key, r.start, r.end, role, category, r.at)
        assert reason is None, f"{r.badge} awarded {key} at {r.at} though {reason}"
        kind = None
        if r.basis.startswith("most senior"):
            kind = lambda o: o.seniority  # noqa: E731
        elif r.basis.startswith("fewest off-duty hours"):
            lb = self.params["lookback"]
            kind = lambda o: (self.lookback(o, lb, r.at), o.seniority)  # noqa: E731
        if kind is not None:
            self.checked["window"] += 1
            eligible = [self.roster.get(b) for b in self.applicants[key]
                        if self.why_not(self.roster.get(b), key, r.start, r.end, role, category, r.at) is None]
            best = min(eligible, key=lambda o: (o.agency != TOWN, kind(o)))
            assert r.badge == best.badge, f"{key}: awarded {r.badge}, but {best.badge} ranks first of {eligible}"

    def check_offer(self, r, key):
        self.checked["offer"] += 1
        start, end, role, category = self.shifts[key]
        for badge in self.rotation:
            officer = self.roster.get(badge)
            if badge in self.offered[key] or badge in self.pending:
                continue
            if self.why_not(officer, key, start, end, role, category, r.at) is None:
                assert r.badge == badge, f"{key}: offered to {r.badge}, but {badge} is first on the list"
                return
        raise AssertionError(f"{key}: offered to {r.badge}, but nobody on the list is eligible")


def story_of(board: JobBoard, key: tuple) -> str:
    """The records of one slot, one a line (for failure messages)."""
    lines = [f"{key}:"]
    for r in board.records:
        if r.request_id == key[0] and getattr(r, "slot", key[1]) == key[1] and r.kind != "Billed":
            lines.append(f"  {r!r}")
    return "\n".join(lines)


def report(oracle: "Oracle") -> None:
    """Label the example (``--hypothesis-show-statistics`` shows how substantive they are)."""
    for name, n in oracle.checked.items():
        event(f"{name} checks: {'0' if n == 0 else '1-4' if n < 5 else '5+'}")


def final_state_is_consistent(board: JobBoard, caps: HourCaps) -> None:
    """No officer holds two overlapping shifts, and the book agrees with the assignments."""
    by_badge: dict[str, list] = {}
    for key, badge in board.assignments().items():
        st_ = board.jobs[key[0]].slots[key[1]]
        by_badge.setdefault(badge, []).append((st_.shift.start, st_.shift.end, key))
        assert board.book.holder(key) == badge
    for badge, spans in by_badge.items():
        spans.sort()
        for (s1, e1, k1), (s2, e2, k2) in zip(spans, spans[1:]):
            assert e1 <= s2, f"badge {badge} double-booked: {k1} and {k2}"
            assert s2 - e1 >= caps.min_rest, f"badge {badge}: rest broken between {k1} and {k2}"


# --- the properties ---------------------------------------------------------------------


@settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rosters(), caps_strategy, configs, requests_strategy, intents_strategy)
def test_every_award_offer_and_window_outcome_obeys_the_rules(roster, caps, config, requests, intents):
    method, backup_after = config
    board = run(roster, caps, method, backup_after, requests, intents)
    oracle = Oracle(board, caps, method, backup_after)
    oracle.replay()
    report(oracle)
    # Only shifts that went to someone stay held; the book agrees with the oracle.
    held = {k: v[0] for k, v in oracle.held.items()}
    assignments = board.assignments()
    differ = [k for k in set(held) | set(assignments) if held.get(k) != assignments.get(k)]
    assert not differ, story_of(board, differ[0])
    final_state_is_consistent(board, caps)
    # Every job reached a bill (or a recorded billing failure).
    completed = {r.request_id for r in board.records if r.kind == "Completed"}
    assert completed == set(board.jobs)
    assert all(r.kind != "BillingFailed" for r in board.records), [r for r in board.records if r.kind == "BillingFailed"]


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rosters(), caps_strategy, configs, requests_strategy, intents_strategy)
def test_the_same_inputs_give_the_same_records(roster, caps, config, requests, intents):
    method, backup_after = config
    first = run(roster, caps, method, backup_after, requests, intents).records
    second = run(roster, caps, method, backup_after, requests, intents).records
    assert first == second


@settings(max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rosters(), caps_strategy, st.sampled_from(["accepted", "offered"]), requests_strategy, intents_strategy)
def test_rotation_offers_follow_the_roll_mode(roster, caps, roll, requests, intents):
    """Sequencing only, so that most examples make offers: each offer goes to the officer the
    naive list (rolled as the mode says) puts first among the eligible."""
    method = ("sequencing", {"roll": roll, "response_minutes": 120})
    board = run(roster, caps, method, None, requests, intents)
    oracle = Oracle(board, caps, method, None)
    oracle.replay()
    report(oracle)
    assert [b for b in oracle.rotation] == board._shared.get(("rotation", TOWN, "default")).order() \
        if ("rotation", TOWN, "default") in board._shared else True


@settings(max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rosters(), caps_strategy, st.sampled_from([("seniority", {"window_hours": 12}),
                                                   ("fairness", {"window_hours": 12, "lookback": "year_to_date"}),
                                                   ("fairness", {"window_hours": 12, "lookback": "job_count"})]),
       requests_strategy, intents_strategy)
def test_window_awards_go_to_the_first_eligible_applicant_in_order(roster, caps, method, requests, intents):
    board = run(roster, caps, method, 30, requests, intents)
    oracle = Oracle(board, caps, method, 30)
    oracle.replay()
    report(oracle)


def test_the_oracle_is_not_vacuous():
    """A fixed, busy stream exercises every check the oracle makes."""
    roster = Roster([Officer(badge=str(i), agency=TOWN, seniority_date=date(2000 + i, 1, 1),
                             rank=Rank.SUPERVISOR if i % 4 == 0 else Rank.OFFICER,
                             qualifications=("sso",) if i % 3 == 0 else ()) for i in range(8)])
    caps = HourCaps(daily="10", weekly="24", min_rest=timedelta(hours=8))
    requests = [(10 + 20 * i, 4, 2, CATEGORIES[i % 3], 30, 0) for i in range(8)]
    intents = [(("apply", "apply", "answer")[i % 3], 40, i, i * 3, i * 5) for i in range(240)]
    for method in (("seniority", {"window_hours": 30}), ("sequencing", {"roll": "offered", "response_minutes": 60}),
                   ("fairness", {"window_hours": 30, "lookback": "year_to_date"})):
        board = run(roster, caps, method, None, requests, intents)
        oracle = Oracle(board, caps, method, None)
        oracle.replay()
        assert oracle.checked["award"] >= 8, (method, oracle.checked)
        if method[0] == "sequencing":
            assert oracle.checked["offer"] >= 10
        else:
            assert oracle.checked["window"] >= 3, (method, oracle.checked)
