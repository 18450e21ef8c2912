"""Exact money and hours.

Amounts are :class:`decimal.Decimal` built from strings, never from floats.  Rounding happens
at one named boundary, :func:`cents`, with ``ROUND_HALF_UP`` (the way a rate sheet rounds
60.05 x 1.11 = 66.6555 to 66.66).  Hours are kept as exact seconds and turned into money by
:func:`amount_for`, which multiplies before it divides so that no intermediate is rounded.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from .errors import InputError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
SECONDS_PER_HOUR = 3600


def to_decimal(value: object, field: str = "amount") -> Decimal:
    """Convert a string or int (or an existing Decimal) into a Decimal, refusing floats.

    Floats are refused because ``Decimal(0.1)`` is not 0.1: a rate written as a float has
    already lost the cent it was meant to carry.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InputError(field, value, "give a decimal string such as '57.00'")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InputError(field, value, "give a decimal string such as '57.00'") from None
    else:
        raise InputError(field, value, "give a decimal string such as '57.00' (floats are not exact)")
    if not result.is_finite():
        raise InputError(field, value, "must be a finite number")
    return result


def cents(value: Decimal) -> Decimal:
    """Round to the cent, half up: the only rounding boundary for money."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def hours_from_seconds(seconds: int) -> Decimal:
    """Exact hours for a whole number of seconds (may be a long decimal, never rounded)."""
    return Decimal(seconds) / SECONDS_PER_HOUR


def seconds_from_hours(hours: Decimal | int | str) -> int:
    """Whole seconds in ``hours`` (hours such as 2, 4 or 0.5 convert exactly)."""
    value = to_decimal(hours, "hours") * SECONDS_PER_HOUR
    if value != value.to_integral_value():
        raise InputError("hours", hours, "must be a whole number of seconds")
    return int(value)


@lru_cache(maxsize=1 << 16)
def amount_for(rate: Decimal, seconds: int) -> Decimal:
    """``rate`` per hour for ``seconds``, rounded to the cent once, at the end (pure, so
    remembered: a year of bills asks for a few hundred distinct amounts, ~100,000 times)."""
    return cents(rate * seconds / SECONDS_PER_HOUR)


def fmt(value: Decimal) -> str:
    """Two-place decimal string for output ("12.50", "-3.00")."""
    return str(cents(value))


def fmt_hours(seconds: int) -> str:
    """Hours for display, to the hundredth (the amount is computed from exact seconds)."""
    return str(cents(hours_from_seconds(seconds)))
