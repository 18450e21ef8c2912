"""The live service's values as JSON: the logged inputs (to and from the board's inputs), the
board's records, and a settled job as a job story that ``offduty bill`` reads.

Every instant is written as the agency's local time with its offset
(``2027-06-20T18:00:00-07:00``): a reader sees the wall clock, and parsing it back gives the
same instant whatever the zone.  The inputs log keeps these payloads; replaying them through
:func:`board_input` gives the board the very same inputs, so a rebuilt board makes the very
same records.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from offduty_core import model
from offduty_core.board_inputs import (Accept, Apply, CancelRequest, ChangeStart, ClockShift, Decline, DropShift,
                                       Input, NoShow, SubmitRequest, Tick)
from offduty_core.board_records import Billed, Record
from offduty_core.errors import InputError
from offduty_core.rules import AgencyRules
from offduty_core.story import parse_request
from offduty_core.timeutil import parse_time

#: Input kinds the board itself takes (``roster``, ``clock_in`` and ``assign`` are the
#: service's own: see :mod:`offduty_service.program`).
BOARD_KINDS = ("submit", "apply", "accept", "decline", "drop", "cancel", "change_start", "clock_out", "no_show",
               "tick")


def local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """``moment`` as local ISO time with its offset, to the second (None stays None)."""
    return None if moment is None else moment.astimezone(tz).isoformat(timespec="seconds")


def board_input(kind: str, payload: Mapping[str, Any], at: datetime, rules: AgencyRules | None) -> Input:
    """The board input a logged ``kind`` and ``payload`` stand for, at the server's ``at``.

    ``rules`` are the request's agency's (for its zone); a ``tick`` needs none.  Raises
    :class:`InputError` naming the field for a payload the board cannot take."""
    if kind == "tick":
        return Tick(at=at)
    if kind == "submit":
        request = parse_request(payload["request"], rules)
        method = (payload.get("payment") or {}).get("method")
        return SubmitRequest(agency=payload["agency"], request=request, at=at, payment_method=method)
    rid, slot, badge = payload.get("request_id"), payload.get("slot"), payload.get("badge")
    if kind == "apply":
        return Apply(at=at, request_id=rid, slot=slot, badge=badge, preference=payload.get("preference"))
    if kind == "accept":
        return Accept(at=at, request_id=rid, slot=slot, badge=badge)
    if kind == "decline":
        return Decline(at=at, request_id=rid, slot=slot, badge=badge)
    if kind == "drop":
        return DropShift(at=at, request_id=rid, slot=slot, badge=badge)
    if kind == "no_show":
        return NoShow(at=at, request_id=rid, slot=slot)
    if kind == "cancel":
        slots = payload.get("slots")
        return CancelRequest(at=at, request_id=rid, channel=payload.get("channel", "portal"),
                             slots=tuple(slots) if slots is not None else None)
    if kind == "change_start":
        tz = rules.info.tz
        slots = payload.get("slots")
        start, end = parse_time(payload.get("start"), tz, "start"), parse_time(payload.get("end"), tz, "end")
        if end <= start:  # said here in the agency's local time, not in the board's UTC
            raise InputError("end", payload.get("end"), f"must be after the start, {payload.get('start')}")
        return ChangeStart(at=at, request_id=rid, start=start, end=end,
                           officer_accepts=payload.get("officer_accepts"), channel=payload.get("channel", "portal"),
                           slots=tuple(slots) if slots is not None else None)
    if kind == "clock_out":
        clock_in = datetime.fromisoformat(payload["clock_in"])
        return ClockShift(at=at, request_id=rid, slot=slot, clock_in=clock_in, clock_out=at)
    raise InputError("kind", kind, f"input kinds are {', '.join(BOARD_KINDS)}")


def record_json(record: Record, tz: ZoneInfo) -> dict[str, Any]:
    """One board record as plain data: its ``kind`` and fields, instants in local time.  A
    :class:`Billed` record's bill is left out (the invoice holds it)."""
    out: dict[str, Any] = {"kind": record.kind}
    for name, value in zip(record._fields, record):
        if isinstance(record, Billed) and name == "bill":
            continue
        if isinstance(value, datetime):
            value = local(value, tz)
        elif isinstance(value, timedelta):
            value = value.total_seconds() / 3600  # hours (an alert's lead)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


# --- a settled job as a job story -----------------------------------------------------------


def request_json(request: model.Request, tz: ZoneInfo) -> dict[str, Any]:
    """``request`` as the job story's ``request`` object."""
    out: dict[str, Any] = {"id": request.id, "vendor": request.vendor, "category": request.category,
                           "received_at": local(request.received_at, tz), "start": local(request.start, tz),
                           "end": local(request.end, tz), "positions": dict(request.positions),
                           "vehicle": request.vehicle}
    if request.approved_at is not None:
        out["approved_at"] = local(request.approved_at, tz)
    if request.site:
        out["site"] = request.site
    if request.post_orders:
        out["post_orders"] = request.post_orders
    return out


def event_json(event: model.Event, tz: ZoneInfo) -> dict[str, Any]:
    """A billing event as the job story's event object (``parse_event`` reads it back)."""
    kind = event.type.value
    if kind == "cancel":
        out = {"type": kind, "at": local(event.at, tz), "channel": event.channel}
        if event.request_id is not None:
            out["request_id"] = event.request_id
        if event.slots is not None:
            out["slots"] = list(event.slots)
        return out
    if kind == "change_start":
        out = {"type": kind, "at": local(event.at, tz), "start": local(event.start, tz), "end": local(event.end, tz),
               "officer_accepts": event.officer_accepts, "channel": event.channel}
        if event.slots is not None:
            out["slots"] = list(event.slots)
        return out
    if kind == "release":
        return {"type": kind, "slot": event.slot, "at": local(event.at, tz)}
    if kind == "clock":
        return {"type": kind, "slot": event.slot, "in": local(event.clock_in, tz), "out": local(event.clock_out, tz)}
    if kind == "drop":
        out = {"type": kind, "slot": event.slot, "at": local(event.at, tz)}
        if event.officer is not None:
            out["officer"] = event.officer
        return out
    if kind == "assign":
        out = {"type": kind, "slot": event.slot, "officer": event.officer}
        if event.at is not None:
            out["at"] = local(event.at, tz)
        return out
    return {"type": kind, "slot": event.slot}  # unfilled, no_show


def story_json(agency: str, request: model.Request, events, payment_method: str | None,
               tz: ZoneInfo) -> dict[str, Any]:
    """A job as the job story ``offduty bill`` reads: billing it gives the job's bill."""
    story: dict[str, Any] = {"agency": agency, "request": request_json(request, tz),
                             "events": [event_json(e, tz) for e in events]}
    if payment_method is not None:
        story["payment"] = {"method": payment_method}
    return story
