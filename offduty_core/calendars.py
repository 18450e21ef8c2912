"""Holiday calendars built from the ``holidays`` package.

An agency lists its holidays by name (its list is its own: Lynnwood's "Day After
Thanksgiving" and West Valley City's Christmas Eve are not in every state's public
calendar).  Each name here is a key resolved against ``holidays.country_holidays`` with
every category the package has (public, unofficial, half-day, government), on the actual
date (``observed=False``): the hours of a listed holiday's calendar date are holiday hours,
never the observed weekday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import attrs
import holidays as holidays_lib

from .errors import InputError

#: Key -> the names the ``holidays`` package uses for it (any one matches).
HOLIDAY_NAMES: dict[str, tuple[str, ...]] = {
    "new_years_day": ("New Year's Day",),
    "mlk_day": ("Martin Luther King Jr. Day", "Birthday of Martin Luther King, Jr."),
    "presidents_day": ("Washington's Birthday", "Presidents' Day", "Washington and Lincoln Day"),
    "memorial_day": ("Memorial Day",),
    "juneteenth": ("Juneteenth National Independence Day",),
    "independence_day": ("Independence Day",),
    "pioneer_day": ("Pioneer Day",),
    "labor_day": ("Labor Day",),
    "columbus_day": ("Columbus Day",),
    "veterans_day": ("Veterans Day",),
    "thanksgiving": ("Thanksgiving Day", "Thanksgiving"),
    "christmas_eve": ("Christmas Eve",),
    "christmas_day": ("Christmas Day",),
    "new_years_eve": ("New Year's Eve",),
}

#: Keys defined relative to another holiday (name, base key, days after).
DERIVED: dict[str, tuple[str, str, int]] = {
    "day_after_thanksgiving": ("Day After Thanksgiving", "thanksgiving", 1),
}

LABELS: dict[str, str] = {
    "new_years_day": "New Year's Day",
    "mlk_day": "Martin Luther King Jr. Day",
    "presidents_day": "Presidents' Day",
    "memorial_day": "Memorial Day",
    "juneteenth": "Juneteenth",
    "independence_day": "Independence Day",
    "pioneer_day": "Pioneer Day",
    "labor_day": "Labor Day",
    "columbus_day": "Columbus Day",
    "veterans_day": "Veterans Day",
    "thanksgiving": "Thanksgiving Day",
    "day_after_thanksgiving": "Day After Thanksgiving",
    "christmas_eve": "Christmas Eve",
    "christmas_day": "Christmas Day",
    "new_years_eve": "New Year's Eve",
}

KNOWN_KEYS = tuple(sorted(set(HOLIDAY_NAMES) | set(DERIVED)))


@lru_cache(maxsize=256)
def _package_year(country: str, subdivision: str | None, year: int) -> dict[date, tuple[str, ...]]:
    cal = holidays_lib.country_holidays(
        country,
        subdiv=subdivision,
        years=year,
        observed=False,
        categories=tuple(_categories(country, subdivision)),
    )
    return {day: tuple(part.strip() for part in name.split(";")) for day, name in cal.items()}


def _categories(country: str, subdivision: str | None) -> tuple[str, ...]:
    cls = holidays_lib.country_holidays(country, subdiv=subdivision).__class__
    return tuple(getattr(cls, "supported_categories", ("public",)))


def _validate_keys(instance: "HolidayCalendar", attribute: attrs.Attribute, value: frozenset[str]) -> None:
    for key in value:
        if not isinstance(key, str) or not key.strip():
            raise InputError("holidays", key, f"give a key ({', '.join(KNOWN_KEYS)}) or a holiday's name "
                                              f"as the holidays package spells it (e.g. 'Good Friday')")


def _recurring(value: object) -> tuple[tuple[str, str], ...]:
    """``{"MM-DD": label}`` or ``(("MM-DD", label), ...)``, checked and sorted."""
    items = value.items() if isinstance(value, dict) else value
    out = []
    for item in items:  # type: ignore[union-attr]
        if not isinstance(item, tuple) or len(item) != 2:
            raise InputError("holidays.recurring", repr(item), "give {'MM-DD': label}")
        when, label = item
        parts = when.split("-") if isinstance(when, str) else []
        try:
            if len(parts) != 2 or len(parts[0]) != 2 or len(parts[1]) != 2:
                raise ValueError
            date(2000, int(parts[0]), int(parts[1]))
        except ValueError:
            raise InputError("holidays.recurring", when, "give the date as 'MM-DD', e.g. '12-26'") from None
        if not isinstance(label, str) or not label.strip():
            raise InputError(f"holidays.recurring.{when}", label, "give the holiday's label")
        out.append((when, label))
    return tuple(sorted(out))


@attrs.frozen(kw_only=True)
class HolidayCalendar:
    """The holidays an agency bills at its Holiday rate.

    ``keys`` are keys from :data:`KNOWN_KEYS`, or any holiday's name exactly as the
    ``holidays`` package spells it for the country and subdivision ("Good Friday",
    "Cesar Chavez Day"); an unknown name is refused when its year is first needed.
    ``extra_dates`` adds one-off dates with their label; ``recurring`` adds a date that comes
    back every year and is in no public calendar (``{"12-26": "Boxing Day"}``).
    ``observed``: the weekday a holiday is observed on counts too (a Saturday holiday is also
    observed on the Friday before, a Sunday one on the Monday after).  ``whole_shift``: any
    part of a shift on a holiday bills the whole shift at the holiday rate (the default bills
    only the hours that fall on the holiday's date).
    """

    keys: frozenset[str] = attrs.field(factory=frozenset, converter=frozenset, validator=_validate_keys)
    country: str = "US"
    subdivision: str | None = None
    extra_dates: tuple[tuple[date, str], ...] = attrs.field(default=(), converter=tuple)
    recurring: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_recurring)
    observed: bool = False
    whole_shift: bool = False

    def name_on(self, day: date) -> str | None:
        """The label of the listed holiday on ``day`` (local calendar date), or None."""
        return self._year(day.year).get(day)

    def dates(self, year: int) -> dict[date, str]:
        return dict(sorted(self._year(year).items()))

    def _year(self, year: int) -> dict[date, str]:
        return _resolve(self, year)


@lru_cache(maxsize=1024)
def _resolve(calendar: HolidayCalendar, year: int) -> dict[date, str]:
    found = _listed(calendar, year)
    if calendar.observed:
        # A holiday on a weekend is observed on the nearest weekday; that of 1 January can fall
        # on 31 December of the year before.
        listed = dict(found)
        if year < 9999:
            listed.update(_listed(calendar, year + 1))
        if year > 1:
            listed.update(_listed(calendar, year - 1))
        for day, label in sorted(listed.items()):
            shift = {5: -1, 6: 1}.get(day.weekday())
            if shift is None:
                continue
            try:
                other = day + timedelta(days=shift)
            except OverflowError:
                continue
            if other.year == year and other not in found:
                found[other] = f"{label} (observed)"
    return found


def _listed(calendar: HolidayCalendar, year: int) -> dict[date, str]:
    found: dict[date, str] = {}
    by_key: dict[str, date] = {}
    package = _package_year(calendar.country, calendar.subdivision, year) if calendar.keys else {}
    needed = set(calendar.keys) | {DERIVED[k][1] for k in calendar.keys if k in DERIVED}
    for key in needed:
        if key in DERIVED:
            continue
        names = HOLIDAY_NAMES.get(key, (key,))
        for day, day_names in package.items():
            if any(name in day_names for name in names):
                by_key[key] = day
                break
    for key in calendar.keys:
        if key in DERIVED:
            _label, base, days = DERIVED[key]
            if base in by_key:
                found[by_key[base] + timedelta(days=days)] = LABELS[key]
        elif key in by_key:
            found[by_key[key]] = LABELS.get(key, key)
        else:
            known = sorted({n for names in package.values() for n in names})
            raise InputError(
                "holidays",
                key,
                f"the holidays package has no such holiday for {calendar.country}"
                f"{'-' + calendar.subdivision if calendar.subdivision else ''} in {year}; keys are "
                f"{', '.join(KNOWN_KEYS)}; names that year are {'; '.join(known)}",
            )
    for day, label in calendar.extra_dates:
        if day.year == year:
            found[day] = label
    for when, label in calendar.recurring:
        month, day_of_month = int(when[:2]), int(when[3:])
        if month == 2 and day_of_month == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
            continue
        found.setdefault(date(year, month, day_of_month), label)
    return found
