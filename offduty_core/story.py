"""The job story: one request and its events as JSON, parsed into core objects.

See README "The job story" for the format.  Every error names the field (with its path,
``events[2].at``), the value, and what is allowed.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import attrs

from .errors import InputError, short
from .limits import MAX_EVENTS, MAX_JSON_DEPTH, MAX_POSITIONS, MAX_SHIFT_HOURS
from .model import CHANNELS, EVENT_CLASSES, ROLES, Assign, Cancel, ChangeStart, Clock, Drop, Event, NoShow, Release, Request, Unfilled
from .plugins import Registry
from .rules import AgencyRules
from .timeutil import parse_time


@attrs.frozen(kw_only=True)
class Story:
    """A parsed story, ready to bill: ``bill(story.rules, story.request, story.events,
    story.payment_method)``.  ``rules`` are the agency's compiled rules, so parsing and billing
    see the same agency; ``payment_method`` is None when the story names none."""

    rules: AgencyRules
    request: Request
    events: tuple[Event, ...]
    payment_method: str | None


def load_json(text: str, source: str = "story") -> Any:
    """Decode ``text`` as JSON, or raise :class:`InputError` naming ``source`` (a file name, or
    ``stdin``) and the line and column, so a broken file is reported as one line, not a
    ``JSONDecodeError`` traceback.  Numbers past what a story can mean (``NaN``,
    ``Infinity``, integers of thousands of digits) and nesting deeper than
    :data:`~offduty_core.limits.MAX_JSON_DEPTH` are refused here, before parsing recurses.
    The result is not checked: pass it to :func:`parse_story`."""
    depth = _depth(text)
    if depth > MAX_JSON_DEPTH:
        raise InputError(source, f"{depth} levels of nesting", f"a story nests at most {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"line {exc.lineno} column {exc.colno}", f"must be valid JSON ({exc.msg})") from None
    except ValueError:  # an integer past the interpreter's digit limit, NaN, Infinity
        raise InputError(source, "a number", "numbers must be JSON numbers of fewer than 4,300 digits "
                                             "(NaN and Infinity are not JSON)") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (cheap: one pass over the text, only
    when brackets are many)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0
    deepest = depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _key(key: str) -> str:
    """A JSON key as it may appear in a field path: printable keys as they are, others
    quoted (a key with a newline must not split the one-line message)."""
    return key if key.isprintable() and len(key) <= 40 else short(key, 40)


def _obj(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(field, value, "must be a JSON object")
    return value


def _only(data: Mapping[str, Any], field: str, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            prefix = f"{field}." if field else ""
            raise InputError(f"{prefix}{_key(key)}", data[key], f"unknown field; fields are {', '.join(allowed)}")


def _str(data: Mapping[str, Any], key: str, field: str, required: bool = True) -> str | None:
    if key not in data or data[key] is None:
        if required:
            raise InputError(f"{field}.{key}", None, "is required")
        return None
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{field}.{key}", value, "must be a non-empty string")
    return value


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, value, "must be a whole number")
    return value


def _bool(data: Mapping[str, Any], key: str, field: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"{field}.{key}", value, "must be true or false")
    return value


REQUEST_FIELDS = ("id", "vendor", "category", "received_at", "approved_at", "start", "end", "positions",
                  "vehicle", "site", "post_orders")
STORY_FIELDS = ("agency", "request", "events", "payment")
EVENT_FIELDS = {
    "cancel": ("type", "at", "channel", "request_id", "slots"),
    "change_start": ("type", "at", "start", "end", "officer_accepts", "channel", "slots"),
    "release": ("type", "slot", "at"),
    "clock": ("type", "slot", "in", "out"),
    "drop": ("type", "slot", "at", "officer"),
    "assign": ("type", "slot", "officer", "at"),
    "unfilled": ("type", "slot"),
    "no_show": ("type", "slot"),
}


def parse_request(data: Any, rules: AgencyRules, field: str = "request") -> Request:
    """The story's ``request`` object as a :class:`Request`.

    Times without an offset are local to the agency of ``rules`` (a time skipped by a
    daylight-saving change is refused); ``positions`` defaults to one officer and missing roles
    count 0.  Only the format is checked here: whether the agency accepts the request (notice,
    prohibited categories) is decided when it is billed or posted.  ``field`` is the path used
    in error messages, so a caller embedding requests elsewhere can name its own.
    """
    data = _obj(data, field)
    _only(data, field, REQUEST_FIELDS)
    tz = rules.info.tz
    positions = data.get("positions", {"officer": 1})
    positions = _obj(positions, f"{field}.positions")
    for role, count in positions.items():
        if role not in ROLES:
            raise InputError(f"{field}.positions.{_key(role)}", count, f"roles are {', '.join(ROLES)}")
        if not 0 <= _int(count, f"{field}.positions.{role}") <= MAX_POSITIONS:
            raise InputError(f"{field}.positions.{role}", count, f"must be from 0 to {MAX_POSITIONS}")
    if sum(positions.values()) > MAX_POSITIONS:
        raise InputError(f"{field}.positions", dict(positions),
                         f"a request asks for at most {MAX_POSITIONS} positions in all (docs/limits.md)")
    times = {}
    for key in ("received_at", "start", "end"):
        times[key] = parse_time(data.get(key) if key in data else _missing(f"{field}.{key}"), tz, f"{field}.{key}")
    _span(times["start"], times["end"], f"{field}.end", "a shift")
    approved = data.get("approved_at")
    for key in ("site", "post_orders"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise InputError(f"{field}.{key}", data[key], "must be a string")
    return Request(
        id=_str(data, "id", field),
        vendor=_str(data, "vendor", field),
        category=_str(data, "category", field),
        received_at=times["received_at"],
        approved_at=parse_time(approved, tz, f"{field}.approved_at") if approved is not None else None,
        start=times["start"],
        end=times["end"],
        positions=positions,
        vehicle=_bool(data, "vehicle", field, False),
        site=data.get("site") or "",
        post_orders=data.get("post_orders") or "",
    )


def _span(start: Any, end: Any, field: str, what: str) -> None:
    """Refuse a span longer than :data:`~offduty_core.limits.MAX_SHIFT_HOURS` (it sizes the
    work of splitting and pricing it)."""
    if (end - start).total_seconds() > MAX_SHIFT_HOURS * 3600:
        raise InputError(field, end.isoformat(timespec="minutes"),
                         f"{what} lasts at most {MAX_SHIFT_HOURS} h (docs/limits.md); this one ends "
                         f"{(end - start).total_seconds() / 3600:,.0f} h after it starts")


def _missing(field: str) -> Any:
    raise InputError(field, None, "is required")


def parse_event(data: Any, rules: AgencyRules, index: int) -> Event:
    """Event ``index`` of a story's ``events`` list as its :mod:`~offduty_core.model` event.

    Each type allows only its own fields (a ``clock`` with an ``at`` is refused, not ignored),
    and every error names the event's path (``events[2].at``).  A ``cancel`` must name its
    channel, because some agencies accept only written cancellations.  Whether the event is
    allowed at that point of the job is the agency's decision at billing, not the parser's.
    """
    field = f"events[{index}]"
    data = _obj(data, field)
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in EVENT_CLASSES:
        raise InputError(f"{field}.type", kind, f"event types are {', '.join(EVENT_CLASSES)}")
    _only(data, field, EVENT_FIELDS[kind])
    tz = rules.info.tz

    def time(key: str) -> Any:
        if key not in data:
            raise InputError(f"{field}.{key}", None, f"is required for a {kind} event")
        return parse_time(data[key], tz, f"{field}.{key}")

    def slot() -> int:
        if "slot" not in data:
            raise InputError(f"{field}.slot", None, f"is required for a {kind} event")
        return _int(data["slot"], f"{field}.slot")

    def slots() -> tuple[int, ...] | None:
        if data.get("slots") is None:
            return None
        value = data["slots"]
        if not isinstance(value, list) or not value:
            raise InputError(f"{field}.slots", value, "must be a non-empty list of slot numbers")
        out = tuple(_int(v, f"{field}.slots") for v in value)
        if len(set(out)) != len(out):
            raise InputError(f"{field}.slots", value, "must not repeat a slot")
        return out

    def channel() -> str:
        value = data.get("channel", "email")
        if value not in CHANNELS:
            raise InputError(f"{field}.channel", value, f"channels are {', '.join(CHANNELS)}")
        return value

    try:
        if kind == "cancel":
            if "channel" not in data:
                raise InputError(f"{field}.channel", None, f"is required; channels are {', '.join(CHANNELS)}")
            request_id = data.get("request_id")
            if request_id is not None and not isinstance(request_id, str):
                raise InputError(f"{field}.request_id", request_id, "must be a string")
            return Cancel(at=time("at"), channel=channel(), request_id=request_id, slots=slots())
        if kind == "change_start":
            start, end = time("start"), time("end")
            _span(start, end, f"{field}.end", "a changed shift")
            return ChangeStart(at=time("at"), start=start, end=end,
                               officer_accepts=_bool(data, "officer_accepts", field, True),
                               channel=channel(), slots=slots())
        if kind == "release":
            return Release(slot=slot(), at=time("at"))
        if kind == "clock":
            clock_in, clock_out = time("in"), time("out")
            _span(clock_in, clock_out, f"{field}.out", "a clock record")
            return Clock(slot=slot(), clock_in=clock_in, clock_out=clock_out)
        if kind == "drop":
            officer = data.get("officer")
            if officer is not None and not isinstance(officer, str):
                raise InputError(f"{field}.officer", officer, "must be a string")
            return Drop(slot=slot(), at=time("at"), officer=officer)
        if kind == "assign":
            return Assign(slot=slot(), officer=_str(data, "officer", field),
                          at=time("at") if "at" in data else None)
        if kind == "unfilled":
            return Unfilled(slot=slot())
        return NoShow(slot=slot())
    except InputError as exc:
        if exc.field.startswith("events["):
            raise
        # Validators inside the model name the bare field; add the event's path.
        raise InputError(f"{field}.{exc.field.split('.')[-1]}", exc.value, exc.allowed) from None


def parse_story(data: Any, registry: Registry) -> Story:
    """A whole job story (decoded JSON) as a :class:`Story`, its agency looked up in
    ``registry``.

    The agency comes first because it gives the time zone for every local time that follows.
    An unknown agency, an unknown field anywhere, or a malformed value raises
    :class:`InputError` naming the field, the value and what is allowed (a broken agency
    plugin raises the registry's :class:`~offduty_core.errors.PluginError`); nothing is billed.
    """
    data = _obj(data, "story")
    _only(data, "", STORY_FIELDS)
    agency = data.get("agency")
    if not isinstance(agency, str):
        raise InputError("agency", agency, f"installed agencies: {', '.join(registry.names())}")
    rules = registry.rules(agency)
    request = parse_request(data.get("request") if "request" in data else _missing("request"), rules)
    raw_events = data.get("events", [])
    if not isinstance(raw_events, list):
        raise InputError("events", raw_events, "must be a JSON list")
    if len(raw_events) > MAX_EVENTS:
        raise InputError("events", f"{len(raw_events)} events", f"a story lists at most {MAX_EVENTS} (docs/limits.md)")
    events = tuple(parse_event(e, rules, i) for i, e in enumerate(raw_events))
    payment = data.get("payment")
    method = None
    if payment is not None:
        payment = _obj(payment, "payment")
        _only(payment, "payment", ("method",))
        method = payment.get("method")
        if method is not None:
            rules.terms.method_fee(method) if isinstance(method, str) else None
            if not isinstance(method, str):
                raise InputError("payment.method", method, f"methods are {', '.join(sorted(rules.terms.method_fees))}")
    return Story(rules=rules, request=request, events=events, payment_method=method)
