"""Double-entry ledger: immutable postings in transactions that balance by construction.

Signs follow the debit-positive convention: a posting's ``amount`` is positive for a debit
(what the vendor owes us, an expense) and negative for a credit (what we owe an officer or
the city, revenue).  :class:`Transaction` refuses to exist unless its postings sum to zero.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping, NamedTuple

import attrs

from .errors import InputError
from .money import CENT, ZERO, cents, fmt, to_decimal

# Account names (":"-separated, beancount style).  Officer, vendor and city accounts carry
# the party's id as the last component.
RECEIVABLE = "assets:receivable:vendor"
CASH = "assets:cash"
OFFICER_PAYABLE = "liabilities:payable:officer"
CITY_PAYABLE = "liabilities:payable:city"
ADMIN_FEE = "income:admin-fee"
CARD_FEE = "income:card-fee"
LATE_CHARGE = "income:late-charge"
RETAINED_SHARE = "income:retained-officer-share"
ABSORBED = "expenses:absorbed-officer-pay"
BAD_DEBT = "expenses:bad-debt"


class UnbalancedError(InputError):
    """Postings that do not sum to zero: the transaction is refused, naming its memo."""

    def __init__(self, memo: str, residual: str):
        super().__init__("transaction.postings", memo, f"postings must sum to zero; residual {residual}")


def account(base: str, party: str) -> str:
    """``base:party``, with the party's name (a vendor, a badge: the user's text) escaped so
    that it stays one component of one line: ``:`` and unprintable characters (newlines,
    tabs, controls) become ``%XX`` (UTF-8 bytes).  ``%`` itself is left as it is, so escaping
    an escaped name changes nothing (payroll rebuilds accounts from their last component)."""
    if ":" in party or not party.isprintable():
        party = "".join(ch if ch != ":" and ch.isprintable() else _percent(ch) for ch in party)
    return f"{base}:{party}"


def _percent(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))


@attrs.frozen(kw_only=True)
class Posting:
    account: str
    amount: Decimal = attrs.field(converter=lambda v: to_decimal(v, "posting.amount"))

    @amount.validator
    def _cents(self, attribute: attrs.Attribute, value: Decimal) -> None:
        if cents(value) != value:
            raise InputError("posting.amount", str(value), "must be a whole number of cents")


def _postings(value: Iterable[Posting]) -> tuple[Posting, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Transaction:
    """Postings dated ``date`` that sum to zero; ``memo`` says what happened, ``ref`` which
    request (and slot) it belongs to."""

    date: date
    memo: str
    ref: str = ""
    postings: tuple[Posting, ...] = attrs.field(converter=_postings)

    @postings.validator
    def _balanced(self, attribute: attrs.Attribute, value: tuple[Posting, ...]) -> None:
        if not value:
            raise InputError("transaction.postings", "()", "a transaction needs at least one posting")
        residual = sum((p.amount for p in value), ZERO)
        if residual != 0:
            raise InputError("transaction.postings", self.memo, f"postings must sum to zero; residual {residual}")

    def to_dict(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "memo": self.memo,
            "ref": self.ref,
            "postings": [{"account": p.account, "amount": fmt(p.amount)} for p in self.postings],
        }


def transaction(date_: date, memo: str, amounts: Mapping[str, Decimal], ref: str = "") -> Transaction | None:
    """Build a transaction from ``{account: amount}``, dropping zero legs (None if all zero)."""
    postings = [_posting(a, v) for a, v in amounts.items() if v != 0]
    if not postings:
        return None
    return Transaction(date=date_, memo=memo, ref=ref, postings=postings)


# Postings and transactions of amounts billing has already checked are built straight into
# their slots (attrs' ``__init__`` would run the conversion, cent check and balance check again).
assert not hasattr(Posting, "__attrs_post_init__") and not hasattr(Transaction, "__attrs_post_init__")
_new = object.__new__
_set_account, _set_amount = Posting.account.__set__, Posting.amount.__set__
_set_date, _set_memo, _set_ref, _set_postings = (Transaction.date.__set__, Transaction.memo.__set__,
                                                 Transaction.ref.__set__, Transaction.postings.__set__)


def _cent_posting(account: str, amount: Decimal) -> Posting:
    """A posting of an amount that is already a ``Decimal`` of whole cents (billing's own
    sums of rounded lines), made without re-running :class:`Posting`'s conversion and check
    of outside input."""
    posting = _new(Posting)
    _set_account(posting, account)
    _set_amount(posting, amount)
    return posting


def _balanced_transaction(date_: date, memo: str, ref: str, postings: tuple[Posting, ...]) -> Transaction:
    """A :class:`Transaction` of ``postings`` that the caller has checked are not empty and sum
    to zero (billing checks the amounts of a priced charge's shape once, and every charge of
    that shape posts the same amounts)."""
    tx = _new(Transaction)
    _set_date(tx, date_)
    _set_memo(tx, memo)
    _set_ref(tx, ref)
    _set_postings(tx, postings)
    return tx


class Entry(NamedTuple):
    """A transaction as billing computes it: legs of ``(account, integer cents)`` that sum to
    zero (checked where the amounts were computed).  :meth:`transaction` makes the
    :class:`Transaction` with ``Decimal`` postings for the edges (JSON, reports)."""

    date: date
    memo: str
    ref: str
    legs: tuple[tuple[str, int], ...]

    def transaction(self) -> Transaction:
        return _balanced_transaction(self.date, self.memo, self.ref, tuple(map(_kept_posting, self.legs)))


_POSTINGS: dict[tuple[str, int], Posting] = {}


def _kept_posting(leg: tuple[str, int]) -> Posting:
    """The posting of an ``(account, cents)`` leg.  Postings are immutable values and a year's
    ledger repeats the same few thousand legs, so equal legs share one posting."""
    found = _POSTINGS.get(leg)
    if found is None:
        if len(_POSTINGS) > 200_000:
            _POSTINGS.clear()
        found = _POSTINGS[leg] = _cent_posting(leg[0], Decimal(leg[1]).scaleb(-2))
    return found


def _posting(account: str, amount: Decimal) -> Posting:
    """``Posting(account=account, amount=amount)``: a finite ``Decimal`` of whole cents (a
    payroll's sums, say) is what its conversion returns and its check passes, so it is made
    straight; anything else goes through them (and is refused as they refuse it)."""
    if type(amount) is Decimal and amount.is_finite() and amount.quantize(CENT, rounding=ROUND_HALF_UP) == amount:
        return _cent_posting(account, amount)
    return Posting(account=account, amount=amount)


def cent_posting(account: str, cents: int) -> Posting:
    """The posting of ``cents`` (an integer) to ``account``: a whole number of cents by
    construction, so it is made without :class:`Posting`'s conversion and check of outside
    input (readers of a ledger table that holds integer cents)."""
    return _cent_posting(account, Decimal(int(cents)).scaleb(-2))


def entry(date_: date, memo: str, ref: str, legs: Iterable[tuple[str, int]]) -> Entry | None:
    """An :class:`Entry` of the non-zero ``legs`` (None if all are zero); refused unless they
    sum to zero."""
    kept = tuple((account, amount) for account, amount in legs if amount)
    if not kept:
        return None
    residual = sum(amount for _, amount in kept)
    if residual:
        raise UnbalancedError(memo, str(Decimal(residual).scaleb(-2)))
    return Entry(date_, memo, ref, kept)


def cent_transaction(date_: date, memo: str, amounts: Mapping[str, Decimal], ref: str = "") -> Transaction | None:
    """:func:`transaction` for amounts billing computed in whole cents (each one a rounded
    line or a sum of them): the postings skip the per-amount string/float conversion and
    cent check, and the transaction still refuses to exist unless it balances."""
    postings = [_cent_posting(a, v) for a, v in amounts.items() if v != 0]
    if not postings:
        return None
    return Transaction(date=date_, memo=memo, ref=ref, postings=postings)


def balances(transactions: Iterable[Transaction]) -> dict[str, Decimal]:
    """Balance of every account over ``transactions`` (sums to zero by construction)."""
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for tx in transactions:
        for p in tx.postings:
            out[p.account] += p.amount
    return dict(sorted(out.items()))


def rollup(transactions: Iterable[Transaction], depth: int) -> dict[str, Decimal]:
    """Balances summed to the first ``depth`` components of each account name."""
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for name, amount in balances(transactions).items():
        out[":".join(name.split(":")[:depth])] += amount
    return dict(sorted(out.items()))
