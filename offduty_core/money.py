"""Exact money and hours.

Amounts are :class:`decimal.Decimal` built from strings, never from floats.  Rounding happens
at one named boundary, :func:`cents`, with ``ROUND_HALF_UP`` (the way a rate sheet rounds
60.05 x 1.11 = 66.6555 to 66.66).  Billing itself computes in integer cents and rounds at
:func:`offduty_core.pricing.half_up`, the same rule on integers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InputError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


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


def fmt(value: Decimal) -> str:
    """Two-place decimal string for output ("12.50", "-3.00")."""
    return str(cents(value))
