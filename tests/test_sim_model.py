"""The model's levers: caps bind, price moves demand, records are immutable."""

from __future__ import annotations


import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offduty_core import default_registry
from offduty_simulations import demand, runner
from offduty_simulations.looks import LookPlanner
from offduty_simulations.model import Record, SlotBehaviour, YearModel, scenario_rules
from offduty_simulations.outputs import build
from offduty_simulations.scenario import Acceptance, from_dict
from sim_helpers import small


def _model(scenario, seed: int) -> YearModel:
    published = default_registry().rules(scenario.agency.name)
    rules = scenario_rules(scenario, published)
    rng = demand.streams(seed)
    return YearModel(scenario, rules, rng, demand.generate(scenario, rules, rng, price=1.0))


_MODEL = _model(from_dict(small(days=2, officers=3)), 0)


def test_the_queue_makes_the_jobs_generate_makes_one_at_a_time_and_keeps_none():
    sc = from_dict(small(days=21, officers=10))
    rules = scenario_rules(sc, default_registry().rules(sc.agency.name))
    listed = demand.generate(sc, rules, demand.streams(5))
    queue = demand.queue(sc, rules, demand.streams(5))
    assert len(queue) == len(listed) > 20
    assert queue.first_received == min(j.received for j in listed)
    first = next(queue)
    assert first == listed[0] and len(queue) == len(listed) - 1
    assert queue._raw[0] is None  # handed out: the queue keeps nothing of it
    assert list(queue) == listed[1:] and len(queue) == 0


def test_a_jobs_hours_and_local_fields_agree_with_its_request():
    # Jobs are made from whole seconds and their local start; the datetimes say the same.
    sc = from_dict(small(days=21, officers=10))
    rules = scenario_rules(sc, default_registry().rules(sc.agency.name))
    clock = demand.Clock(sc.agency.first_day, rules.info.tz)
    jobs = demand.generate(sc, rules, demand.streams(5))
    assert len(jobs) > 20
    for job in jobs:
        req = job.request
        local = req.start.astimezone(rules.info.tz)
        assert job.received == clock.hours(req.received_at) and job.start == clock.hours(req.start)
        assert job.end == clock.hours(req.end) and job.lead_hours == job.start - job.received
        assert (job.day, job.weekday, job.month) == (local.date(), local.weekday(), local.month)
        assert job.local_hour == local.hour + local.minute / 60
        assert req.start.microsecond == req.received_at.microsecond == 0


def test_a_year_from_the_queue_equals_a_year_from_the_list():
    sc = from_dict(small(days=21, officers=10))
    rules = scenario_rules(sc, default_registry().rules(sc.agency.name))
    years = []
    for make in (demand.generate, demand.queue):
        rng = demand.streams(9)
        years.append(build(YearModel(sc, rules, rng, make(sc, rules, rng)).run()))
    assert years[0].summary == years[1].summary
    assert years[0].tables["ledger"].equals(years[1].tables["ledger"])


def test_arrivals_receive_every_job_at_its_time_and_report_progress_for_each():
    # The arrivals are a chain of timeouts, not a process: each job is received at its own
    # time, in order, and ``progress`` is told of every one, in blocks of 500 and the rest.
    sc = from_dict(small(days=21, officers=10))
    rules = scenario_rules(sc, default_registry().rules(sc.agency.name))
    rng = demand.streams(5)
    jobs = demand.generate(sc, rules, rng)
    told: list[int] = []
    model = YearModel(sc, rules, rng, list(jobs), progress=told.append)
    seen: list[tuple[str, float]] = []
    receive = model._receive
    model._receive = lambda job: (seen.append((job.id, model.env.now)), receive(job))
    model.run()
    # (at its time to the last bit or so: SimPy adds the delay to its clock)
    assert [i for i, _ in seen] == [j.id for j in jobs] and len(seen) > 20
    assert [t for _, t in seen] == pytest.approx([j.received for j in jobs], rel=1e-12)
    assert sum(told) == len(jobs) and all(n == 500 for n in told[:-1])


def test_a_year_from_any_iterable_of_jobs_equals_a_year_from_the_list():
    # A one-shot iterable (a generator) is read whole before the year starts, not used up
    # finding the first arrival and then run as an empty year.
    sc = from_dict(small(days=14, officers=10))
    rules = scenario_rules(sc, default_registry().rules(sc.agency.name))
    summaries = []
    for wrap in (list, lambda jobs: (j for j in jobs)):
        rng = demand.streams(4)
        summaries.append(build(YearModel(sc, rules, rng, wrap(demand.generate(sc, rules, rng))).run()).summary)
    assert summaries[0] == summaries[1] and summaries[1]["requests"]["received"] > 10


def test_an_offer_open_a_fraction_of_a_second_past_a_whole_one_lapses_and_the_year_ends():
    # The adapter hands the board whole-second instants; a wake-up due 60.45 s after an offer
    # once never came due at its SimPy event, which was set again and again at the same time.
    import signal

    data = small(days=14, officers=12)
    data["distribution"]["categories"]["traffic_control"]["params"]["response_minutes"] = 1.0075
    data["distribution"]["categories"]["security"] = {"method": "sequencing", "params": {"response_minutes": 1.0075}}

    def too_long(*_):
        raise TimeoutError("the year did not end")

    old = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(60)
    try:
        out = runner.replicate(from_dict(data), 2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert out.summary["shifts"]["total"] > 20 and out.summary["ledger"]["balanced"]


def test_a_weekly_cap_override_binds_and_is_counted():
    base = small(days=14, officers=12)
    capped = from_dict(base).with_overrides({"fees.weekly_cap": 6})
    out = runner.replicate(capped, 3)
    assert out.summary["cap_hits"]["weekly"] > 0
    assert out.officers["weekly_cap_hits"].sum() == out.summary["cap_hits"]["weekly"]
    shifts = out.shifts[out.shifts.status.isin(["worked", "released"])].copy()
    shifts["week"] = shifts["start"].dt.tz_localize(None).dt.to_period("W-SUN")
    # Hours counted as the book counts them: scheduled, or worked once an officer is released.
    hours = shifts.groupby(["officer", "week"])["worked_hours"].sum()
    assert hours.max() <= 6 + 1e-9


def test_a_dearer_fee_means_fewer_requests_and_more_fee_per_hour():
    sc = from_dict(small(days=28, officers=30))
    cheap = runner.replicate(sc.with_overrides({"fees.admin_fee_pct": 5}), 8).summary
    dear = runner.replicate(sc.with_overrides({"fees.admin_fee_pct": 40}), 8).summary
    assert dear["requests"]["received"] < cheap["requests"]["received"]
    assert float(dear["money"]["admin_fee"]) > float(cheap["money"]["admin_fee"])


def test_records_are_immutable():
    record = Record(t=1.0, kind="paid", job="x")
    with pytest.raises(AttributeError):
        record.t = 2.0  # type: ignore[misc]
    out = runner.replicate(from_dict(small(days=5, officers=10)), 1)
    assert out.summary["fill_engine"] == "offduty_core.lifecycle.JobBoard"


def test_every_method_runs_a_small_year():
    sc = from_dict(small(days=10, officers=20))
    for method, params in [("immediate-release", {}), ("seniority", {"window_hours": 12}),
                           ("sequencing", {"response_minutes": 30, "roll": "offered"}),
                           ("bidding", {"window_hours": 12, "order": "fewest_hours"}),
                           ("fairness", {"window_hours": 12, "lookback": "rolling_30_days"})]:
        data = small(days=10, officers=20)
        data["distribution"] = {"method": method, "params": params}
        out = runner.replicate(from_dict(data), 2)
        assert out.summary["ledger"]["balanced"] and out.summary["billing_failures"] == []
        worked = out.shifts[out.shifts.status == "worked"]
        assert set(worked["method"]) == {method}
    assert attrs.has(type(sc))


@settings(max_examples=300, deadline=None)
@given(pay=st.floats(20, 200), night=st.booleans(), weekend=st.booleans(), lead_h=st.floats(-5, 24 * 60),
       ahead_h=st.floats(0, 24 * 30), booked_h=st.floats(0, 168),
       base=st.floats(-4, 4), lead_time=st.floats(-2, 2), hours_worked=st.floats(-3, 3))
def test_the_look_ceiling_is_never_below_any_officers_acceptance(pay, night, weekend, lead_h, ahead_h, booked_h,
                                                                 base, lead_time, hours_worked):
    # Looks whose draw is at or above the ceiling are skipped as certain refusals, so the
    # ceiling must bound the exact probability at the look's time, whatever is booked.
    model = _MODEL
    model.acc = Acceptance(base=base, lead_time=lead_time, hours_worked=hours_worked)
    b = SlotBehaviour(start_h=ahead_h + lead_h, end_h=ahead_h + lead_h + 4, pay=pay, night=night, weekend=weekend)
    model._x0(b)
    b.week = 0
    model.fill.hours_in_week = lambda badge, week: booked_h
    model.env._now = ahead_h  # the look happens ahead_h into the run
    assert model.p_ceiling(b, ahead_h) >= model.p_accept(b, "100", None) - 1e-12


def test_looks_skipped_as_certain_refusals_fill_as_waking_for_every_look_would():
    # The look planner draws only the looks that might be a "yes" (a thinned stream: the
    # officer takes part, the draw is under the ceiling, no standing objection) and counts
    # the others.  Versus waking for every look (LookPlanner(thinned=False)): different
    # draws, the same behaviour in law, so fill rates agree closely over a few seeds.  (A
    # wrong filter that refuses every third officer moves the mean by about 0.09.)
    def fill_rates(wake_for_all: bool) -> list[float]:
        rates = []
        for seed in range(6):
            model = _model(from_dict(small(days=28, officers=30)), seed)
            if wake_for_all:
                model.looks = LookPlanner(model, Record, thinned=False)
            out = build(model.run())
            rates.append(out.summary["fill_rate"])
        return rates

    skipping, waking = fill_rates(False), fill_rates(True)
    assert abs(sum(skipping) / 6 - sum(waking) / 6) < 0.03, (skipping, waking)


def test_a_fixed_objection_is_never_a_cap_and_stands_until_the_shift_changes():
    # The look filter's promise (JobBoard.fixed_objection): when it says so, objection()
    # names a rule that looks only at the officer and the shift, before and after bookings.
    from offduty_core.eligibility import core_rules

    fixed_names = {rule.name for rule in core_rules()[:5]} | {"audience"}
    model = _model(from_dict(small(days=10, officers=20)), 2)
    seen = {"fixed": 0, "open": 0}
    board, fill = model.fill.board, model.fill
    original = fill.respond

    def respond(now, rid, slot, badge, accept=True):
        posting = fill.slot(rid, slot).posting
        for officer in fill.audience(posting):
            fixed = fill.fixed_objection(posting, officer)
            seen["fixed" if fixed else "open"] += 1
            if fixed:
                assert board.objection(posting, officer) in fixed_names
        return original(now, rid, slot, badge, accept)

    fill.respond = respond
    model.run()
    assert seen["fixed"] > 0 and seen["open"] > 0, seen


def test_a_posting_keeps_the_boards_rules_for_its_agency_and_method():
    # The board keeps each posting's Eligibility on it (Posting.eligibility) so a question
    # needs no look-up: it must be the board's one for the shift's agency and the method,
    # also on a posting reposted after a drop or a moved start, and answer as fresh rules do.
    model = _model(from_dict(small(days=10, officers=20)), 2)
    board, fill = model.fill.board, model.fill
    original = fill.respond
    asked = []

    def respond(now, rid, slot, badge, accept=True):
        posting = fill.slot(rid, slot).posting
        officer = model.roster.by_badge[badge]
        rule = fill.objection(posting, officer)
        shift = posting.shift
        assert posting.eligibility is board._eligibility[(shift.agency, id(posting.method))]
        fresh = board.eligibility(shift.agency, posting.method)
        assert rule == "audience" or rule == fresh.objection(officer, shift)
        assert fill.fixed_objection(posting, officer) == (rule == "audience" or fresh.fixed_objection(officer, shift))
        asked.append(rule)
        return original(now, rid, slot, badge, accept)

    fill.respond = respond
    model.run()
    assert asked


def test_the_remembered_week_of_a_start_is_the_boards_even_past_its_bound():
    # p_accept remembers each start's agency week (YearModel._week_of); it must be the
    # board's answer for every start, also once the bounded memory has been emptied.
    from datetime import timedelta

    model = _model(from_dict(small(days=2, officers=3)), 0)
    first = model.clock.at(0.0)
    starts = [first + timedelta(hours=5 * i) for i in range(5000)]
    for when in starts + starts[::-7]:
        assert model._week_of(when) == model.fill.week_of(when)
    assert len(model._weeks) <= 4096


def test_a_clock_out_hands_the_board_the_instants_of_the_hours_worked():
    # Clock times equal to the shift's scheduled ones are handed over as the shift's own
    # instants (not made again): they must be the instants the hours say, as the others are.
    model = _model(from_dict(small(days=14, officers=20)), 3)
    fill, clock = model.fill, model.clock
    seen, clock_out = [], fill.clock_out

    def clocked(now, rid, slot, clock_in, start_h=None, end_h=None):
        records = clock_out(now, rid, slot, clock_in, start_h, end_h)
        seen.append((now, clock_in, start_h, end_h, [r for r in records if type(r).__name__ == "Clocked"]))
        return records

    fill.clock_out = clocked
    model.run()
    assert len(seen) > 20
    assert sum(clock_in == start_h and now == end_h for now, clock_in, start_h, end_h, _ in seen) > 10
    for now, clock_in, _start_h, _end_h, records in seen:
        [record] = records
        assert (record.clock_in, record.clock_out, record.at) == (clock.utc(clock_in), clock.utc(now), clock.utc(now))
