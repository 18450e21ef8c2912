"""Admission: whether an agency takes a request, and the slots it lays out for it.

:func:`admit` is asked once per request, when it arrives: the job board keeps the
:class:`Admission` for the life of the job, and :func:`offduty_core.billing.bill_admitted`
prices the job's events under it.
"""

from __future__ import annotations

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
        for name, value in (("start_s", request.start), ("end_s", request.end),
                            ("received_s", request.received_at), ("approved_s", request.approved)):
            object.__setattr__(self, name, epoch(value))


def admit(rules: AgencyRules, request: Request) -> Admission:
    """Validate ``request`` against ``rules`` and lay out its slots, or raise."""
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
    if request.end - request.start > MAX_REQUEST_SPAN:
        raise InputError("request.end", request.end.isoformat(timespec="minutes"),
                         "a request may span at most 31 days; split longer events into several requests")
    if request.received_at > request.start:
        raise Refusal(name, "notice.after-start",
                      f"the request was received at {fmt_local(request.received_at, rules.tz)}, not before its "
                      f"start at {fmt_local(request.start, rules.tz)}; a request must arrive before the work starts")
    if rules.prohibited_days:
        day, last = rules.days.local_date(epoch(request.start)), rules.days.local_date(epoch(request.end) - 1)
        while day <= last:
            reason = rules.prohibited_day(day)
            if reason is not None:
                raise Refusal(name, f"prohibited-date.{day.isoformat()}",
                              f"no off-duty work on {day.isoformat()}: {reason}")
            day += timedelta(days=1)
    if request.approved_at is not None and request.approved_at < request.received_at:
        raise InputError("request.approved_at", request.approved_at.isoformat(timespec="minutes"),
                         "must not be before received_at")

    notice = request.start - request.received_at
    rule = rules.notice
    if rule.refuse_below is not None and notice < rule.refuse_below:
        raise Refusal(name, "notice", f"requests need {fmt_duration(rule.refuse_below)} notice; "
                                      f"this one gave {fmt_duration(notice)}")
    notice_class = None
    notes: list[str] = []
    for tier in rule.all_tiers():
        if notice < tier.below:
            notice_class = tier.rate_class
            cls = rules.classes[notice_class]
            how = "on top of the base rate" if cls.add_on else "where it is the highest"
            notes.append(f"received {fmt_duration(notice)} before the start, under the "
                         f"{fmt_duration(tier.below)} notice: billed at the {cls.label} rate ({notice_class}) {how}")
            break
    emergency = notice_class is not None

    counts = dict(request.positions)
    added = 0
    sup = rules.supervisor
    if sup is not None and counts["supervisor"] == 0 and sup.count(counts["officer"]):
        added = sup.count(counts["officer"])
        notes.append(f"{counts['officer']} officers requested (threshold {sup.officers_at_least}): "
                     f"{added} supervisor position added")
    rules.check_request(request)

    slots: list[Slot] = []
    for role in ROLES:
        for _ in range(counts[role]):
            slots.append(Slot(index=len(slots), role=role))
        if role == "supervisor":
            for _ in range(added):
                slots.append(Slot(index=len(slots), role="supervisor",
                                  added_by_rule=f"supervisor-threshold.{sup.officers_at_least}"))
    return Admission(request=request, slots=tuple(slots), notice=notice, emergency=emergency, notes=tuple(notes),
                     notice_class=notice_class)



__all__ = ["Admission", "admit"]
