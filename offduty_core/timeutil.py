"""Local time, real elapsed hours and the split at local midnight.

A story gives times as wall-clock strings in the agency's zone.  They become aware datetimes;
elapsed time is always measured in UTC, so an 8-hour wall-clock span across a daylight-saving
change is 7 or 9 real hours, and Arizona (no DST) is simply never affected.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InputError
from .limits import MAX_YEAR, MIN_YEAR

UTC = timezone.utc


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(field, name, "give an IANA time zone such as 'America/Denver'") from None


def localize(naive: datetime, tz: ZoneInfo, field: str) -> datetime:
    """Attach ``tz`` to a wall-clock time, refusing times that do not exist.

    A wall time skipped by the spring-forward change (02:30 on that Sunday) is refused. A
    wall time that happens twice (01:30 on the fall-back Sunday) is taken as the first
    occurrence (``fold=0``); give an explicit offset ("...T01:30-07:00") for the second.
    """
    aware = naive.replace(tzinfo=tz, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != naive:
        raise InputError(
            field,
            naive.isoformat(timespec="minutes"),
            f"this local time does not exist in {tz.key} (skipped by a daylight-saving change)",
        )
    return aware


def parse_time(value: object, tz: ZoneInfo, field: str) -> datetime:
    """Parse an ISO-8601 string; without an offset it is local to ``tz``.  Years outside
    :data:`~offduty_core.limits.MIN_YEAR` .. ``MAX_YEAR`` are refused: the holiday calendars
    are resolved per year, and the first and last days of year 1 and 9999 cannot be moved
    into another zone."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InputError(field, value, "give an ISO-8601 time such as '2027-03-10T10:00'") from None
    else:
        raise InputError(field, value, "give an ISO-8601 time such as '2027-03-10T10:00'")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise InputError(field, value if isinstance(value, str) else parsed.isoformat(),
                         f"give a time in the years {MIN_YEAR} to {MAX_YEAR}")
    if parsed.tzinfo is None:
        return localize(parsed, tz, field)
    return parsed.astimezone(tz)


def elapsed_seconds(start: datetime, end: datetime) -> int:
    """Real elapsed whole seconds between two aware datetimes (UTC arithmetic)."""
    delta = end.astimezone(UTC) - start.astimezone(UTC)
    return int(delta.total_seconds())


def split_at_local_midnight(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[date, int]]:
    """Split ``[start, end)`` into (local calendar date, real seconds) pieces.

    Each piece runs from a local midnight (or ``start``) to the next local midnight (or
    ``end``); its length is real elapsed time, so a DST day piece can be 23 or 25 hours.
    """
    if end <= start:
        return []
    pieces: list[tuple[date, int]] = []
    # Compare in UTC: aware datetimes sharing one tzinfo compare by wall time, which is
    # wrong inside the repeated hour of a fall-back day.
    cursor = start.astimezone(UTC)
    stop = end.astimezone(UTC)
    while cursor < stop:
        day = cursor.astimezone(tz).date()
        midnight = _utc_midnight(day + _ONE_DAY, tz)
        piece_end = min(midnight, stop)
        seconds = int((piece_end - cursor).total_seconds())
        if seconds > 0:
            pieces.append((day, seconds))
        cursor = piece_end
    return pieces


_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=8192)
def _utc_midnight(day: date, tz: ZoneInfo) -> datetime:
    """:func:`localize_midnight` in UTC (kept: every split of a shift asks for it)."""
    return localize_midnight(day, tz).astimezone(UTC)


def localize_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz`` (midnight, or the first valid time after it)."""
    naive = datetime.combine(day, time(0))
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        # Midnight skipped by a DST change (some zones spring forward at 00:00).
        aware = (naive + timedelta(hours=1)).replace(tzinfo=tz)
    return aware


def fmt_local(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="minutes")


def fmt_duration(delta: timedelta | int) -> str:
    """'10 h', '71 h 59 min', '-2 h' for messages (a timedelta or seconds)."""
    total = delta if isinstance(delta, int) else int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes = rest // 60
    if minutes:
        return f"{sign}{hours} h {minutes} min"
    return f"{sign}{hours} h"
