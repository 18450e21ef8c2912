"""Why each officer would or would not be offered one shift of a job story.

:func:`explain` posts the story's request on a :class:`~offduty_core.lifecycle.JobBoard`
with the roster, replays the story's events up to the moment asked about (other slots'
assignments book their officers; a start-time change moves the shift and bars the officer
who could not work it; a drop bars the officer who dropped it), and then asks, for every
officer on the roster, the same questions the board asks before an offer: is the officer in
the posting's audience (its first group, or a back-up agency once that stage is open), and
does every eligibility rule agree.  Eligible officers are listed in the method's order
(seniority, rotation list, fewest hours, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import attrs

from .distribution import DistributionConfig, Posting, lookback_text
from .errors import InputError
from .lifecycle import JobBoard, SubmitRequest
from .model import Assign, ChangeStart, Drop
from .officers import Officer, Roster
from .story import Story
from .timeutil import fmt_local


@attrs.frozen(kw_only=True)
class Verdict:
    """One officer's answer: ``offered`` (may be offered / may apply), ``later`` (only once
    the back-up stage opens), ``holds`` (already holds this shift) or ``not offered``."""

    badge: str
    agency: str
    rank: str
    verdict: str
    place: int | None  # order among the offerable officers, by the method
    reasons: tuple[str, ...]  # why not (every rule that objects), or what the place means

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class Explanation:
    request_id: str
    slot: int
    role: str
    category: str
    agency: str
    start: str
    end: str
    at: str
    method: str
    audience: str
    verdicts: tuple[Verdict, ...]

    def to_dict(self) -> dict[str, Any]:
        out = attrs.asdict(self, recurse=False)
        out["verdicts"] = [v.to_dict() for v in self.verdicts]
        return out


def explain(story: Story, roster: Roster, registry: Any, slot: int = 0, at: datetime | None = None,
            distribution: DistributionConfig | None = None) -> Explanation:
    """Explain ``slot`` of ``story`` for every officer of ``roster`` as of ``at`` (default:
    when the request is posted)."""
    agency = story.rules.name
    request = story.request
    overrides = {agency: {request.category: distribution}} if distribution is not None else None
    board = JobBoard(registry, roster, distribution=overrides)
    board.handle(SubmitRequest(agency=agency, request=request))
    refused = [r for r in board.records if r.kind == "Refused"]
    if refused:
        raise InputError("story.request", request.id, refused[0].reason)
    job = board.jobs[request.id]
    if isinstance(slot, bool) or not 0 <= slot < len(job.slots):
        roles = ", ".join(f"{s.slot.index} {s.slot.role}" for s in job.slots)
        raise InputError("--slot", slot, f"slots of {request.id} are {roles}")
    when = at if at is not None else request.approved
    if when < request.received_at:
        raise InputError("--at", fmt_local(when, story.rules.info.tz), "must not be before the request was received")
    if when < request.approved:
        raise InputError("--at", fmt_local(when, story.rules.info.tz),
                         f"the request is posted when it is approved, "
                         f"{fmt_local(request.approved, story.rules.info.tz)}; ask at or after that")
    board.advance(request.approved)  # a request approved after it arrived is posted then
    board.now = max(when, board.now)
    n = len(job.slots)
    for i, event in enumerate(story.events):  # as billing would refuse them, before replaying any
        for index in ((event.slot,) if hasattr(event, "slot") else getattr(event, "slots", None) or ()):
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
                raise InputError(f"events[{i}].slot", index, f"slots are 0..{n - 1} for this request")
    held: dict[int, str] = {}
    target = job.slots[slot]
    tz = story.rules.info.tz
    for moment, event in _in_time_order(story.events, request.received_at):
        if moment > when:
            continue
        if isinstance(event, Assign):
            held[event.slot] = event.officer
        elif isinstance(event, Drop):
            badge = held.pop(event.slot, event.officer)
            if event.slot == slot and badge:
                target.shift = attrs.evolve(target.shift, barred=target.shift.barred | {badge})
        elif isinstance(event, ChangeStart):
            for st in job.slots:
                if event.slots is not None and st.slot.index not in event.slots:
                    continue
                st.shift = attrs.evolve(st.shift, start=event.start, end=event.end)
                if not event.officer_accepts and st.slot.index in held:
                    badge = held.pop(st.slot.index)
                    st.shift = attrs.evolve(st.shift, barred=st.shift.barred | {badge})
    for index, badge in held.items():
        if index == slot or badge not in roster:
            continue
        st = job.slots[index]
        if board.book.holder(st.shift.key) is None:
            board.book.book(roster.get(badge), st.shift.key, st.shift.start, st.shift.end)

    posting: Posting = target.posting
    if posting is None:  # never posted: e.g. its start had passed when the request was approved
        raise InputError("--slot", slot, f"slot {slot} of {request.id} was not posted ({target.status}); "
                                         "no officer is offered it")
    posting.shift = target.shift
    config, method = job.config, job.method
    if posting.stage_opens_at is not None and when >= posting.stage_opens_at:
        posting.stage = 1
    audience = f"{agency} officers" + (f" holding {config.group}" if config.group else "")
    if config.staged:
        later = ", ".join(([f"all {agency} officers"] if config.group else []) + list(config.backup_agencies))
        audience += (f"; {later} from {fmt_local(posting.stage_opens_at, tz)}"
                     + (" (open now)" if posting.stage else ""))

    holder = held.get(slot)
    offerable: list[Officer] = []
    verdicts: dict[str, Verdict] = {}
    for officer in roster:
        reasons = [str(r) for r in board.eligibility(agency, method).reasons(officer, posting.shift)]
        audience_reason = board.why_not(posting, officer)
        if holder == officer.badge:
            verdict, reasons = "holds", [f"badge {officer.badge} holds {posting.shift.label}"]
        elif audience_reason is not None and audience_reason.rule == "audience":
            stage = posting.stage_of(officer)
            verdict = "later" if stage is not None and not reasons else "not offered"
            reasons = [str(audience_reason)] + reasons
        elif reasons:
            verdict = "not offered"
        else:
            verdict = "offered"
            offerable.append(officer)
        verdicts[officer.badge] = Verdict(badge=officer.badge, agency=officer.agency, rank=officer.rank.value,
                                          verdict=verdict, place=None, reasons=tuple(reasons))
    ordered = method.preference(board, posting, offerable)
    for place, officer in enumerate(ordered, start=1):
        verdicts[officer.badge] = attrs.evolve(verdicts[officer.badge], place=place,
                                               reasons=(_place_text(method.name, place, officer, board, method),))
    order = {o.badge: i for i, o in enumerate(ordered)}
    rows = sorted(verdicts.values(), key=lambda v: ({"holds": 0, "offered": 1, "later": 2}.get(v.verdict, 3),
                                                    order.get(v.badge, 0), roster.get(v.badge).seniority))
    return Explanation(request_id=request.id, slot=slot, role=target.slot.role, category=request.category,
                       agency=agency, start=fmt_local(target.shift.start, tz), end=fmt_local(target.shift.end, tz),
                       at=fmt_local(when, tz), method=method.describe(), audience=audience, verdicts=tuple(rows))


def _in_time_order(events, received_at: datetime) -> list:
    """(time, event) in time order; an event without a time (an ``assign`` with no ``at``)
    happens right after the event listed before it, as billing reads a story."""
    keyed, last = [], received_at
    for index, event in enumerate(events):
        if event.when is not None:
            last = event.when
        keyed.append((last, index, event))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [(moment, event) for moment, _, event in keyed]


def _place_text(method: str, place: int, officer: Officer, board: JobBoard, instance: Any) -> str:
    if method == "immediate-release":
        return "sees it at once; the first eligible officer to accept gets it"
    if method == "sequencing":
        return ("offered first: head of the rotation list among the eligible" if place == 1 else
                f"offered in turn, place {place} on the rotation list among the eligible")
    if method == "seniority":
        return f"may sign up; would rank {place} by seniority (seniority date {officer.seniority_date})"
    if method in ("fairness", "bidding"):
        what = "sign up" if method == "fairness" else "bid"
        order = instance.params.get("order", "fewest_hours") if method == "bidding" else "fewest_hours"
        if order == "random":
            return "may bid; the award order is a seeded random draw"
        if order == "seniority":
            return f"may bid; would rank {place} by seniority (seniority date {officer.seniority_date})"
        lookback = instance.params.get("lookback", "year_to_date")
        return (f"may {what}; would rank {place} by fewest off-duty hours "
                f"({lookback_text(lookback, board.lookback(officer, lookback))})")
    return f"may be offered; place {place} in the method's order"


def parse_params(pairs: list[str]) -> Mapping[str, Any]:
    """``["window_hours=48", "roll=offered"]`` into typed values (numbers, true/false, text)."""
    import json

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise InputError("--param", pair, "give NAME=VALUE, e.g. window_hours=48")
        try:
            out[key] = json.loads(text)
        except ValueError:
            out[key] = text
    return out
