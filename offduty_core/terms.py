"""Invoice terms over ledgers: invoices, due dates, payments, late charges.

The platform's defaults (:class:`~offduty_core.rules.PaymentTerms`): invoices are due net
30 days from issue; an unpaid balance is charged 1.5 % a month; paying by card costs 3 %
(added to the invoice when billed, see :func:`offduty_core.billing.bill`), ACH and check
are free.

Late charges are simple, not compound: on each monthly anniversary of the due date (the
same day of the month, or the month's last day when it has no such day) the principal
still unpaid that day is charged ``late_charge_monthly``, rounded half up to the cent.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

import attrs

from . import ledger
from .errors import InputError
from .money import ZERO, cents, to_decimal
from .spec import PaymentTerms


@attrs.frozen(kw_only=True)
class Invoice:
    ref: str  # the request id
    vendor: str
    issued: date
    due: date
    amount: Decimal


@attrs.frozen(kw_only=True)
class Payment:
    ref: str
    vendor: str
    day: date
    amount: Decimal = attrs.field(converter=lambda v: to_decimal(v, "payment.amount"))
    method: str = "ach"

    @amount.validator
    def _positive(self, attribute: attrs.Attribute, value: Decimal) -> None:
        if value <= 0 or cents(value) != value:
            raise InputError("payment.amount", str(value), "must be a positive whole number of cents")


def invoices(transactions: Iterable[ledger.Transaction], terms: PaymentTerms = PaymentTerms()) -> list[Invoice]:
    """One invoice per request: its receivable postings, issued on its last service date."""
    prefix = ledger.RECEIVABLE + ":"
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    issued: dict[tuple[str, str], date] = {}
    for tx in transactions:
        ref = tx.ref.split("#")[0]
        if not ref or ref.startswith(("payroll:", "payment:", "late:")):
            continue
        for p in tx.postings:
            if p.account.startswith(prefix):
                key = (ref, p.account[len(prefix):])
                totals[key] += p.amount
                issued[key] = max(issued.get(key, tx.date), tx.date)
    return [Invoice(ref=ref, vendor=vendor, issued=issued[(ref, vendor)],
                    due=issued[(ref, vendor)] + timedelta(days=terms.net_days), amount=amount)
            for (ref, vendor), amount in sorted(totals.items()) if amount != 0]


def payment_transaction(payment: Payment) -> ledger.Transaction:
    """Cash received from a vendor against its receivable."""
    return ledger.Transaction(date=payment.day, memo=f"payment for {payment.ref} by {payment.method}",
                              ref=f"payment:{payment.ref}", postings=[
                                  ledger.Posting(account=ledger.CASH, amount=payment.amount),
                                  ledger.Posting(account=ledger.account(ledger.RECEIVABLE, payment.vendor),
                                                 amount=-payment.amount)])


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def late_charges(invoice: Invoice, payments: Iterable[Payment], as_of: date,
                 terms: PaymentTerms = PaymentTerms()) -> list[ledger.Transaction]:
    """Late-charge transactions for ``invoice`` up to ``as_of``."""
    paid = sorted((p for p in payments if p.ref == invoice.ref), key=lambda p: p.day)
    out = []
    k = 1
    while True:
        day = add_months(invoice.due, k)
        if day > as_of:
            break
        unpaid = invoice.amount - sum((p.amount for p in paid if p.day <= day), ZERO)
        if unpaid <= 0:
            break
        charge = cents(unpaid * terms.late_charge_monthly)
        if charge:
            out.append(ledger.Transaction(
                date=day, memo=f"late charge {terms.late_charge_monthly * 100:.1f} % on {unpaid} unpaid "
                               f"{k} month{'s' if k > 1 else ''} past due", ref=f"late:{invoice.ref}",
                postings=[ledger.Posting(account=ledger.account(ledger.RECEIVABLE, invoice.vendor), amount=charge),
                          ledger.Posting(account=ledger.LATE_CHARGE, amount=-charge)]))
        k += 1
    return out
