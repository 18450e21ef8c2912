"""Shared helpers for the billing tests: build job stories, bill them, do the hand arithmetic.

Expected amounts in the tests are worked out by hand from the rate sheets; :func:`money`
is the only arithmetic helper, and it is independent of ``offduty_core.money`` (exact
fractions, rounded half up to the cent) so that a bug there cannot hide in the expectations.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable

from offduty_core.billing import Bill, bill
from offduty_core.plugins import default_registry
from offduty_core.story import parse_story

D = Decimal
ZERO = Decimal("0.00")

LYNNWOOD = "lynnwood-wa"
GRANTSVILLE = "grantsville-ut"
CHANDLER = "chandler-az"
WVC = "west-valley-city-ut"
AGENCIES = (LYNNWOOD, GRANTSVILLE, CHANDLER, WVC)


def before(iso: str, **delta: float) -> str:
    """The local wall-clock time ``delta`` before ``iso`` ("2027-03-10T10:00" style).

    Wall-clock arithmetic: use it only where no daylight-saving change lies in between
    (the DST tests spell their times out).
    """
    return (datetime.fromisoformat(iso) - timedelta(**delta)).isoformat(timespec="minutes")


def story(agency: str, start: str, end: str, *, received_at: str | None = None, approved_at: str | None = None,
          officers: int = 1, supervisors: int = 0, scribes: int = 0, vehicle: bool = False,
          category: str = "security", events: Iterable[dict] = (), payment: str | None = None,
          request_id: str = "R-1", vendor: str = "Acme Market") -> dict:
    """A job story as the CLI reads it.  Received 30 days ahead unless told otherwise."""
    request: dict[str, Any] = {
        "id": request_id,
        "vendor": vendor,
        "category": category,
        "received_at": received_at or before(start, days=30),
        "start": start,
        "end": end,
        "positions": {"officer": officers, "supervisor": supervisors, "scribe": scribes},
        "vehicle": vehicle,
    }
    if approved_at is not None:
        request["approved_at"] = approved_at
    out: dict[str, Any] = {"agency": agency, "request": request, "events": list(events)}
    if payment is not None:
        out["payment"] = {"method": payment}
    return out


def cancel(at: str, channel: str = "email", request_id: str | None = "R-1", slots: list[int] | None = None) -> dict:
    event: dict[str, Any] = {"type": "cancel", "at": at, "channel": channel}
    if request_id is not None:
        event["request_id"] = request_id
    if slots is not None:
        event["slots"] = slots
    return event


def bill_story(data: dict) -> Bill:
    """Parse ``data`` with the installed plugins and bill it (the CLI's path, minus JSON)."""
    parsed = parse_story(copy.deepcopy(data), default_registry())
    return bill(parsed.rules, parsed.request, parsed.events, parsed.payment_method)


def money(rate: str | Decimal, hours: int | str | Fraction) -> Decimal:
    """``rate`` x ``hours`` exactly, rounded half up to the cent (one invoice or pay line)."""
    return _round_cents(Fraction(Decimal(rate)) * Fraction(hours))


def _round_cents(value: Fraction) -> Decimal:
    hundredths = value * 100
    whole = hundredths.numerator // hundredths.denominator
    rest = hundredths - whole
    if rest >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole) / 100).quantize(Decimal("0.01"))


def totals(result: Bill) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(vendor, officers, city, operator net) as the bill reports them."""
    return result.vendor_total, result.officer_pay_total, result.city_total, result.operator_net


def expect(vendor: str | Decimal, officer: str | Decimal, city: str | Decimal, net: str | Decimal
           ) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Hand-computed totals; checks the four figures agree with one another first."""
    want = tuple(D(x) for x in (vendor, officer, city, net))
    assert want[3] == want[0] - want[1] - want[2], f"hand arithmetic: net {want[3]} != vendor - officer - city"
    return want  # type: ignore[return-value]


def vendor_lines(result: Bill) -> list[tuple[str, str, str]]:
    """Sorted (rate, hours, amount) of the vendor's hourly lines (the card fee has no rate)."""
    return sorted((l["rate"], l["hours"], l["amount"]) for l in result.to_dict()["lines"]
                  if l["party"] == "vendor" and l["rate"] is not None)


def lines_of(result: Bill, party: str) -> list[dict]:
    return [l for l in result.to_dict()["lines"] if l["party"] == party]


def postings(result: Bill, account_prefix: str) -> Decimal:
    """Sum of every posting to accounts starting with ``account_prefix``."""
    return sum((p.amount for tx in result.transactions for p in tx.postings if p.account.startswith(account_prefix)),
               ZERO)


__all__ = [
    "AGENCIES", "CHANDLER", "D", "GRANTSVILLE", "LYNNWOOD", "WVC", "ZERO", "before", "bill_story", "cancel",
    "expect", "lines_of", "money", "postings", "story", "totals", "vendor_lines",
]
