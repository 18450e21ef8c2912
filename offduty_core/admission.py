"""Admission: whether an agency takes a request, and the slots it lays out for it.

:func:`admit` is asked once per request, when it arrives: the job board keeps the
:class:`Admission` for the life of the job, and :func:`offduty_core.billing.bill_admitted`
prices the job's events under it.
"""

from __future__ import annotations

import weakref
from datetime import timedelta

import attrs

from .days import epoch
from .errors import InputError, Refusal
from .model import ROLES, Request, Slot
from .rules import AgencyRules
from .timeutil import fmt_duration, fmt_local

#: The longest a request (or a changed shift) may span.
MAX_REQUEST_SPAN = timedelta(days=31)

@attrs.frozen(kw_only=True)
class Admission:
    """A request the agency accepts: its slots and how it is rated."""

    request: Request
    slots: tuple[Slot, ...]
    notice: timedelta
    emergency: bool
    notes: tuple[str, ...] = ()
    notice_class: str | None = None  # the rate class of the notice tier the request falls under
    # The request's instants in epoch seconds, for the replay.
    start_s: int = attrs.field(init=False, eq=False, repr=False)
    end_s: int = attrs.field(init=False, eq=False, repr=False)
    received_s: int = attrs.field(init=False, eq=False, repr=False)
    approved_s: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        request = self.request
        setattr_ = object.__setattr__
        setattr_(self, "start_s", epoch(request.start))
        setattr_(self, "end_s", epoch(request.end))
        setattr_(self, "received_s", received_s := epoch(request.received_at))
        approved = request.approved_at  # most requests are approved as they are received
        setattr_(self, "approved_s", received_s if approved is None else epoch(approved))


class _Plan:
    """What :func:`admit` works out once per agency rules: the notice tiers, narrowest first,
    and the slot layout of each request shape it has admitted.  A shape is the category and
    the positions asked for (officers, supervisors, scribes); its checks, slots and added
    supervisor depend on nothing else, and a year asks them of a few shapes thousands of
    times.  Kept beside the rules (not on them) and dropped with them (:data:`_PLANS`)."""

    __slots__ = ("notice", "tiers", "layouts")

    def __init__(self, rules: AgencyRules):
        self.notice = rules.notice
        self.tiers = rules.notice.all_tiers()
        #: (category, officers, supervisors, scribes) -> (slots, the added supervisor's note)
        self.layouts: dict[tuple, tuple[tuple[Slot, ...], str | None]] = {}


#: Each rules object's plan by ``id``, with a weak reference to the rules (whose death drops
#: the entry): a plain dictionary, as a ``WeakKeyDictionary`` lookup makes a reference per call.
_PLANS: dict[int, tuple[weakref.ref, _Plan]] = {}


def _plan(rules: AgencyRules) -> _Plan:
    found = _PLANS.get(id(rules))
    if found is not None and found[0]() is rules and found[1].notice is rules.notice:
        return found[1]
    key = id(rules)
    plan = _Plan(rules)
    _PLANS[key] = (weakref.ref(rules, lambda _ref: _PLANS.pop(key, None)), plan)
    return plan


def _layout(rules: AgencyRules, request: Request) -> tuple[tuple[Slot, ...], str | None]:
    """Check ``request``'s category and positions against ``rules`` (or raise) and lay out its
    slots, with the note of a supervisor the rules add.  Slots are frozen, so the layout of
    one shape is shared by every request of that shape."""
    name = rules.name
    if request.category not in rules.categories:
        raise InputError("request.category", request.category,
                         f"categories are {', '.join(sorted(rules.categories))}")
    if request.category in rules.prohibited:
        raise Refusal(name, f"prohibited-category.{request.category}",
                      f"{request.category} jobs are prohibited: {rules.prohibited[request.category]}")
    if request.position_count == 0:
        raise InputError("request.positions", dict(request.positions), "ask for at least one position")
    for role in ROLES:
        if request.positions[role] and role not in rules.role_class:
            offered = ", ".join(r for r in ROLES if r in rules.role_class)
            raise Refusal(name, "roles", f"the agency has no rate for {role} positions; roles offered: {offered}")

    counts = request.positions
    added = 0
    note = None
    sup = rules.supervisor
    if sup is not None and counts["supervisor"] == 0 and sup.count(counts["officer"]):
        added = sup.count(counts["officer"])
        note = (f"{counts['officer']} officers requested (threshold {sup.officers_at_least}): "
                f"{added} supervisor position added")
    slots: list[Slot] = []
    for role in ROLES:
        for _ in range(counts[role]):
            slots.append(Slot(index=len(slots), role=role))
        if role == "supervisor":
            for _ in range(added):
                slots.append(Slot(index=len(slots), role="supervisor",
                                  added_by_rule=f"supervisor-threshold.{sup.officers_at_least}"))
    return tuple(slots), note


def admit(rules: AgencyRules, request: Request) -> Admission:
    """Validate ``request`` against ``rules`` and lay out its slots, or raise."""
    plan = _plan(rules)
    key = (request.category, *request.positions.values())
    layout = plan.layouts.get(key)
    if layout is None:  # checked here, in the same order, the first time a shape is asked
        layout = plan.layouts[key] = _layout(rules, request)
    slots, supervisor_note = layout

    name = rules.name
    start, received = request.start, request.received_at
    if request.end - start > MAX_REQUEST_SPAN:
        raise InputError("request.end", request.end.isoformat(timespec="minutes"),
                         "a request may span at most 31 days; split longer events into several requests")
    if received > start:
        raise Refusal(name, "notice.after-start",
                      f"the request was received at {fmt_local(received, rules.tz)}, not before its "
                      f"start at {fmt_local(start, rules.tz)}; a request must arrive before the work starts")
    if rules.prohibited_days:
        day, last = rules.days.local_date(epoch(start)), rules.days.local_date(epoch(request.end) - 1)
        while day <= last:
            reason = rules.prohibited_day(day)
            if reason is not None:
                raise Refusal(name, f"prohibited-date.{day.isoformat()}",
                              f"no off-duty work on {day.isoformat()}: {reason}")
            day += timedelta(days=1)
    if request.approved_at is not None and request.approved_at < received:
        raise InputError("request.approved_at", request.approved_at.isoformat(timespec="minutes"),
                         "must not be before received_at")

    notice = start - received
    rule = rules.notice
    if rule.refuse_below is not None and notice < rule.refuse_below:
        raise Refusal(name, "notice", f"requests need {fmt_duration(rule.refuse_below)} notice; "
                                      f"this one gave {fmt_duration(notice)}")
    notice_class = None
    notes: list[str] = []
    for tier in plan.tiers:
        if notice < tier.below:
            notice_class = tier.rate_class
            cls = rules.classes[notice_class]
            how = "on top of the base rate" if cls.add_on else "where it is the highest"
            notes.append(f"received {fmt_duration(notice)} before the start, under the "
                         f"{fmt_duration(tier.below)} notice: billed at the {cls.label} rate ({notice_class}) {how}")
            break
    emergency = notice_class is not None
    if supervisor_note is not None:
        notes.append(supervisor_note)
    rules.check_request(request)
    return Admission(request=request, slots=slots, notice=notice, emergency=emergency, notes=tuple(notes),
                     notice_class=notice_class)


__all__ = ["Admission", "admit"]
