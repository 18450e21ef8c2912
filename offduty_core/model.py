"""The core's value objects: agencies, requests, slots and job events.

All are frozen attrs classes; times are timezone-aware datetimes (the story parser makes
them aware in the agency's zone); state changes go through ``attrs.evolve`` so validators
run again.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from enum import Enum
from types import MappingProxyType
from typing import Mapping
from zoneinfo import ZoneInfo

import attrs

from .errors import InputError
from .timeutil import zone

#: Roles a request can ask for, in slot order (officers first, then supervisors, then scribes).
ROLES: tuple[str, ...] = ("officer", "supervisor", "scribe")

#: Job categories the core knows; a plugin may add more (``offduty_register_categories``).
CORE_CATEGORIES: tuple[str, ...] = (
    "security",
    "traffic_control",
    "special_event",
    "school_safety",
    "funeral_escort",
    "liquor_establishment",
    "civil_process",
    "accident_reconstruction",
    "polygraph",
    "labor_dispute",
    "gambling",
)

#: How a cancellation or change can reach the operator.
CHANNELS: tuple[str, ...] = ("email", "portal", "phone")

_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _slug(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise InputError(attribute.name, value, "use lower-case words joined by '-', e.g. 'west-valley-city-ut'")


def _instant(value: object, attribute: attrs.Attribute) -> object:
    """An instant field's value, kept in UTC: aware datetimes in one ``ZoneInfo`` subtract
    and compare by wall clock, which is wrong across a daylight-saving change.  Anything but
    an aware datetime (or None) is refused here, so the value is looked at once, where it
    enters: a converter that checks, rather than a converter and then a validator (the board
    makes an ``Assign`` per award and a ``Clock`` per worked shift from instants it holds)."""
    if value.__class__ is datetime and value.tzinfo is timezone.utc:
        return value  # already UTC: nothing to convert
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    if value is None:
        return value
    raise InputError(attribute.name, value, "must be a timezone-aware datetime")


#: The converter of every instant field (:func:`_instant`, which needs the field's name).
_UTC = attrs.Converter(_instant, takes_field=True)


def _nonempty(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError(attribute.name, value, "must be a non-empty string")


@attrs.frozen(kw_only=True)
class AgencyInfo:
    """Who an agency plugin is: its name (the CLI and stories use it), title and zone."""

    name: str = attrs.field(validator=_slug)
    title: str = attrs.field(validator=_nonempty)
    timezone: str = attrs.field()
    country: str = "US"
    subdivision: str | None = None

    @timezone.validator
    def _check_tz(self, attribute: attrs.Attribute, value: str) -> None:
        zone(value, "timezone")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


#: The read-only positions mappings made so far, by (officers, supervisors, scribes), and
#: the same mappings by ``id``: requests of one shape share one mapping (it cannot change),
#: and a request remade with ``attrs.evolve`` hands its own back unchecked.
_POSITIONS: dict[tuple[int, ...], Mapping[str, int]] = {}
_POSITIONS_BY_ID: dict[int, Mapping[str, int]] = {}
_ROLE_INDEX = {role: i for i, role in enumerate(ROLES)}


def _positions(value: Mapping[str, int] | None) -> Mapping[str, int]:
    if _POSITIONS_BY_ID.get(id(value)) is value:
        return value  # one of ours (kept alive here, so the id is not another object's)
    counts = [0] * len(ROLES)
    plain = True  # every count an exact int: the mapping may be shared
    for role, count in dict(value or {}).items():
        i = _ROLE_INDEX.get(role)
        if i is None:
            raise InputError(f"positions.{role}", count, f"roles are {', '.join(ROLES)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError(f"positions.{role}", count, "must be a whole number >= 0")
        counts[i] = count
        plain = plain and count.__class__ is int
    key = tuple(counts)
    found = _POSITIONS.get(key) if plain else None
    if found is None:
        found = MappingProxyType(dict(zip(ROLES, counts)))
        if plain and len(_POSITIONS) < 10_000:
            _POSITIONS[key] = found
            _POSITIONS_BY_ID[id(found)] = found
    return found


@attrs.frozen(kw_only=True)
class Request:
    """A vendor's request for officers: what, when, how many, and when it reached us."""

    id: str = attrs.field(validator=_nonempty)
    vendor: str = attrs.field(validator=_nonempty)
    category: str = attrs.field(validator=_nonempty)
    received_at: datetime = attrs.field(converter=_UTC)
    start: datetime = attrs.field(converter=_UTC)
    end: datetime = attrs.field(converter=_UTC)
    # Compared (two requests differing only in positions are not equal) but not hashed:
    # the read-only mapping is unhashable.
    positions: Mapping[str, int] = attrs.field(converter=_positions, factory=dict, eq=True, hash=False)
    vehicle: bool = attrs.field(default=False)
    approved_at: datetime | None = attrs.field(default=None, converter=_UTC)
    site: str = ""
    post_orders: str = ""

    @end.validator
    def _end_after_start(self, attribute: attrs.Attribute, value: datetime) -> None:
        if value <= self.start:
            raise InputError("request.end", value.isoformat(timespec="minutes"),
                             f"must be after request.start ({self.start.isoformat(timespec='minutes')})")

    @vehicle.validator
    def _bool(self, attribute: attrs.Attribute, value: bool) -> None:
        if not isinstance(value, bool):
            raise InputError("request.vehicle", value, "must be true or false")

    @property
    def approved(self) -> datetime:
        """When the request was approved and scheduled (defaults to when it was received)."""
        return self.approved_at or self.received_at

    @property
    def position_count(self) -> int:
        return sum(self.positions.values())


@attrs.frozen(kw_only=True)
class Slot:
    """One officer position of a request, numbered officers first, then supervisors, then scribes."""

    index: int
    role: str
    added_by_rule: str | None = None


# --- job events -------------------------------------------------------------------------


class EventType(str, Enum):
    CANCEL = "cancel"
    CHANGE_START = "change_start"
    RELEASE = "release"
    CLOCK = "clock"
    DROP = "drop"
    ASSIGN = "assign"
    UNFILLED = "unfilled"
    NO_SHOW = "no_show"


@attrs.frozen(kw_only=True)
class Cancel:
    """The vendor cancels the request, or only the given slots (a reduction in officers)."""

    at: datetime = attrs.field(converter=_UTC)
    channel: str = attrs.field()
    request_id: str | None = None
    slots: tuple[int, ...] | None = None
    type = EventType.CANCEL

    @channel.validator
    def _channel(self, attribute: attrs.Attribute, value: str) -> None:
        if value not in CHANNELS:
            raise InputError("channel", value, f"channels are {', '.join(CHANNELS)}")

    @property
    def when(self) -> datetime:
        return self.at


@attrs.frozen(kw_only=True)
class ChangeStart:
    """The vendor moves the shift (new start and end); ``officer_accepts`` says if the
    assigned officer can work the new hours."""

    at: datetime = attrs.field(converter=_UTC)
    start: datetime = attrs.field(converter=_UTC)
    end: datetime = attrs.field(converter=_UTC)
    officer_accepts: bool = True
    channel: str = "email"
    slots: tuple[int, ...] | None = None
    type = EventType.CHANGE_START

    @end.validator
    def _end_after_start(self, attribute: attrs.Attribute, value: datetime) -> None:
        if value <= self.start:
            raise InputError("change_start.end", value.isoformat(timespec="minutes"), "must be after its start")

    @property
    def when(self) -> datetime:
        return self.at


@attrs.frozen(kw_only=True)
class Release:
    """The officer of ``slot`` is released before the scheduled end."""

    slot: int
    at: datetime = attrs.field(converter=_UTC)
    type = EventType.RELEASE

    @property
    def when(self) -> datetime:
        return self.at


@attrs.frozen(kw_only=True)
class Clock:
    """The officer of ``slot`` clocked in and out (actual hours worked)."""

    slot: int
    clock_in: datetime = attrs.field(converter=_UTC)
    clock_out: datetime = attrs.field(converter=_UTC)
    type = EventType.CLOCK

    @clock_out.validator
    def _out_after_in(self, attribute: attrs.Attribute, value: datetime) -> None:
        if value <= self.clock_in:
            raise InputError("clock.out", value.isoformat(timespec="minutes"), "must be after clock.in")

    @property
    def when(self) -> datetime:
        return self.clock_in


@attrs.frozen(kw_only=True)
class Drop:
    """The officer of ``slot`` drops the shift; it is reposted (billing is unaffected)."""

    slot: int
    at: datetime = attrs.field(converter=_UTC)
    officer: str | None = None
    type = EventType.DROP

    @property
    def when(self) -> datetime:
        return self.at


@attrs.frozen(kw_only=True)
class Assign:
    """``officer`` is awarded ``slot`` (pay lines then name the officer)."""

    slot: int
    officer: str = attrs.field(validator=_nonempty)
    at: datetime | None = attrs.field(default=None, converter=_UTC)
    type = EventType.ASSIGN

    @property
    def when(self) -> datetime | None:
        return self.at


@attrs.frozen(kw_only=True)
class Unfilled:
    """``slot`` was never filled: nothing is billed or paid for it."""

    slot: int
    type = EventType.UNFILLED

    @property
    def when(self) -> None:
        return None


@attrs.frozen(kw_only=True)
class NoShow:
    """The officer of ``slot`` did not come: nothing is billed or paid for it."""

    slot: int
    type = EventType.NO_SHOW

    @property
    def when(self) -> None:
        return None


Event = Cancel | ChangeStart | Release | Clock | Drop | Assign | Unfilled | NoShow
EVENT_CLASSES = {cls.type.value: cls for cls in (Cancel, ChangeStart, Release, Clock, Drop, Assign, Unfilled, NoShow)}
