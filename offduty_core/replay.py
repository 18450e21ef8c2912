"""Replaying a job's events into charges, in integer time.

:func:`replay` applies a request's events in time order, slot by slot, and leaves each slot
with what it is billed for: work done, a cancellation, a reduction or a start-time change
(a :class:`Charge`).  Instants are epoch seconds (:func:`offduty_core.days.epoch`), taken
from the events once; datetimes remain only in the words of refusals and slot histories.
Pricing a charge is :mod:`offduty_core.pricing`'s job; putting the bill together is
:func:`offduty_core.billing.bill_admitted`'s.
"""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple, Sequence

from .admission import MAX_REQUEST_SPAN, Admission
from .days import epoch, from_epoch
from .errors import InputError, Refusal
from .model import Assign, Cancel, ChangeStart, Clock, Drop, Event, NoShow, Release, Slot, Unfilled
from .spec import ChangeHandling, ChargeRule
from .timeutil import fmt_duration, fmt_local

if TYPE_CHECKING:
    from .rules import AgencyRules

_new = tuple.__new__
_MAX_SPAN_S = 31 * 86400
WORK = ChargeRule(label="hours worked at the total rate")


class Charge(NamedTuple):
    """Something a slot is billed for.  ``rule_id`` names ``rule`` within the agency's
    compiled rules (``work``, ``cancellation.inside-window``, ...): one id, one rule."""

    kind: str  # "work", "cancel", "reduce", "change"
    rule: ChargeRule
    rule_id: str
    officer: str
    scheduled: tuple[int, int]  # the scheduled assignment the charge refers to
    worked: tuple[int, int] | None  # the seconds worked, or billed as worked
    note: str = ""


class SlotState:
    """One slot while its events are replayed, and after: status, officer and charges."""

    __slots__ = ("slot", "officer", "sched", "status", "release_at", "clock", "reduction", "barred", "charges",
                 "history")

    def __init__(self, slot: Slot, sched: tuple[int, int]):
        self.slot = slot
        self.officer = f"slot-{slot.index}"
        self.sched = sched
        self.status = "open"  # open, cancelled, unfilled, no_show
        self.release_at: int | None = None
        self.clock: tuple[int, int] | None = None
        self.reduction: tuple[ChargeRule, str, tuple[int, int]] | None = None  # (rule, window tag, original)
        self.barred: set[str] | None = None
        self.charges: list[Charge] = []
        self.history: list[str] = []


def _window_note(remaining_s: int, tag: str) -> str:
    where = "outside every window" if tag == "outside-window" else tag.replace("-", " ")
    return f"{fmt_duration(remaining_s)} before the start, {where}"


def _timeline(events: Sequence[Event], received_s: int) -> list[tuple[int, int, Event]]:
    """``(instant, index, event)`` in time order.  An event without a time (an ``assign``
    with no ``at``, ``unfilled``, ``no_show``) keeps its place after the event listed
    before it."""
    out = []
    last = received_s
    in_order = True
    for index, event in enumerate(events):
        when = event.when
        if when is not None:
            instant = epoch(when)
            if instant < last:
                in_order = False
            last = instant
        out.append((last, index, event))
    if not in_order:
        out.sort(key=itemgetter(0, 1))
    return out


def replay(rules: AgencyRules, admission: Admission, events: Sequence[Event]) -> list[SlotState]:
    """Apply ``events`` in time order; return each slot's final state with its charges."""
    request = admission.request
    received_at, received_s = request.received_at, admission.received_s
    sched0 = (admission.start_s, admission.end_s)
    states = [SlotState(s, sched0) for s in admission.slots]
    n = len(states)
    hooked = rules.has_event_hook

    for at, index, event in _timeline(events, received_s):
        cls = type(event)
        if at <= received_s and event.when is not None and event.when < received_at:
            raise InputError(f"events[{index}].{'in' if cls is Clock else 'at'}", fmt_local(event.when, rules.tz),
                             f"must not be before the request was received ({fmt_local(received_at, rules.tz)})")
        if hooked or cls is Cancel:
            rules.check_event(request, event)
        if cls is Cancel:
            _cancel(rules, admission, states, _targets(states, index, event.slots), index, event, at)
            continue
        if cls is ChangeStart:
            _change_start(rules, _targets(states, index, event.slots), index, event, at)
            continue
        # Every other event names one slot: an index in range, else refused by ``_targets``.
        slot = event.slot
        st = states[slot] if type(slot) is int and 0 <= slot < n else _targets(states, index, (slot,))[0]
        if cls is Assign:
            if st.barred and event.officer in st.barred:
                raise Refusal(rules.name, "repost.barred",
                              f"officer {event.officer} could not work the new start time of slot "
                              f"{st.slot.index} and may not take its repost")
            st.officer = event.officer
        elif cls is Clock:
            if st.status != "open":
                raise InputError(f"events[{index}]", "clock", f"slot {st.slot.index} is {st.status}; it was not worked")
            if st.clock is not None:
                raise InputError(f"events[{index}]", "clock", f"slot {st.slot.index} already has a clock record")
            clock_out = epoch(event.clock_out)
            if clock_out - at > _MAX_SPAN_S:
                raise InputError(f"events[{index}].out", fmt_local(event.clock_out, rules.tz),
                                 "a shift may span at most 31 days")
            st.clock = (at, clock_out)
        elif cls is Release:
            if st.status != "open":
                raise InputError(f"events[{index}]", "release", f"slot {st.slot.index} is {st.status}")
            start, end = st.sched
            if not start < at < end:
                raise InputError(f"events[{index}].at", fmt_local(event.at, rules.tz),
                                 f"a release must fall inside the shift ({_local(start, rules)} to {_local(end, rules)})")
            st.release_at = at
        elif cls is Drop:
            st.history.append(f"{event.officer or st.officer} dropped at {fmt_local(event.at, rules.tz)}; reposted")
            st.officer = f"slot-{st.slot.index}-repost"
        elif cls is Unfilled or cls is NoShow:
            if st.status == "open":
                st.status = "unfilled" if cls is Unfilled else "no_show"
        else:  # pragma: no cover - the story parser only builds the classes above
            raise InputError(f"events[{index}]", cls.__name__, "unknown event")

    for st in states:
        if st.status == "open":
            _settle(rules, st)
    return states


def _targets(states: list[SlotState], index: int, field_slots: tuple[int, ...] | None) -> list[SlotState]:
    """The slots event ``index`` names (``None``: every slot), each checked to be in range."""
    if field_slots is None:
        return states
    n = len(states)
    for s in field_slots:
        if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < n:
            raise InputError(f"events[{index}].slot", s, f"slots are 0..{n - 1} for this request")
    return [states[s] for s in field_slots]


def _local(instant: int, rules: AgencyRules) -> str:
    return fmt_local(from_epoch(instant), rules.tz)


def _cancel(rules: AgencyRules, admission: Admission, states: list[SlotState], chosen: list[SlotState], index: int,
            event: Cancel, at: int) -> None:
    whole = event.slots is None
    for st in chosen:
        if st.status in ("unfilled", "no_show"):
            continue
        if st.status == "cancelled":
            if whole:
                continue  # a whole-request cancellation after some slots were cancelled
            raise InputError(f"events[{index}].slots", st.slot.index, f"slot {st.slot.index} is already cancelled")
        start, end = st.sched
        if at < admission.approved_s:
            st.status = "cancelled"
            st.history.append("cancelled before approval: no charge")
        elif at <= start:
            remaining = start - at
            rule, tag = rules.window_rule(remaining)
            st.status = "cancelled"
            st.charges.append(_new(Charge, ("cancel", rule, f"cancellation.{tag}", st.officer, st.sched, None,
                                     f"cancelled by {event.channel} {_window_note(remaining, tag)}")))
        elif at < end:
            st.release_at = at if st.release_at is None else min(st.release_at, at)
            st.history.append(f"cancelled after the start ({fmt_local(event.at, rules.tz)}): an early release")
        else:
            raise InputError(f"events[{index}].at", fmt_local(event.at, rules.tz),
                             f"slot {st.slot.index} ended at {_local(end, rules)}; it can no longer be cancelled")


def _change_start(rules: AgencyRules, chosen: list[SlotState], index: int, event: ChangeStart, at: int) -> None:
    tz = rules.tz
    new = (epoch(event.start), epoch(event.end))
    for st in chosen:
        if st.status != "open":
            continue
        start, end = st.sched
        if at >= start:
            raise InputError(f"events[{index}].at", fmt_local(event.at, tz),
                             f"a start-time change must come before the shift starts ({_local(start, rules)})")
        if new[1] - new[0] > _MAX_SPAN_S:
            raise InputError(f"events[{index}].end", fmt_local(event.end, tz), "a shift may span at most 31 days")
        remaining = start - at
        rule, tag = rules.window_rule(remaining)
        if event.officer_accepts:
            if new[1] - new[0] < end - start and st.reduction is None:
                st.reduction = (rule, tag, st.sched)
            st.history.append(f"moved to {fmt_local(event.start, tz)}-{fmt_local(event.end, tz)}; officer accepted")
            st.sched = new
            continue
        if rules.cancellation.unaccepted_change is ChangeHandling.CANCEL_AND_REPOST:
            st.charges.append(Charge("change", rule, f"start-change.{tag}", st.officer, st.sched, None,
                                     f"start moved {_window_note(remaining, tag)}; the officer could not work it: "
                                     f"cancelled and reposted"))
        if st.barred is None:
            st.barred = set()
        st.barred.add(st.officer)
        st.history.append(f"moved to {fmt_local(event.start, tz)}; {st.officer} declined and is barred; reposted")
        st.officer = f"slot-{st.slot.index}-repost"
        st.sched = new


def _settle(rules: AgencyRules, st: SlotState) -> None:
    """The charge of a slot still open when the events run out: its work, an early release
    or a reduction."""
    start, end = st.sched
    release = st.release_at
    if st.clock is not None:
        worked = st.clock
        if release is not None and worked[0] < release < worked[1]:
            worked = (worked[0], release)
    else:
        worked = (start, end if release is None else release)
    if release is not None:
        when = _local(release, rules)
        if rules.cancellation.early_release_full_shift:
            st.charges.append(Charge("work", WORK, "early-release.full-shift", st.officer, st.sched,
                                     (worked[0], max(end, worked[1])),
                                     f"released at {when}: the full shift is billed and paid"))
        else:
            original = st.reduction[2] if st.reduction else st.sched
            rule, tag = rules.window_rule(0)  # after the start: inside every window
            st.charges.append(Charge("reduce", rule, f"reduction.{tag}", st.officer, original, worked,
                                     f"released at {when}: a reduction after the start"))
    elif st.reduction is not None:
        rule, tag, original = st.reduction
        st.charges.append(Charge("reduce", rule, f"reduction.{tag}", st.officer, original, worked,
                                 f"shortened: {tag.replace('-', ' ')}"))
    else:
        st.charges.append(_new(Charge, ("work", WORK, "work", st.officer, st.sched, worked, "")))


__all__ = ["Charge", "MAX_REQUEST_SPAN", "SlotState", "WORK", "fmt_duration", "replay"]
