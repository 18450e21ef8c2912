"""Weekly payroll: officers are paid every week for what they earned, whatever the vendor
has paid (the operator carries the non-payment risk).

Payroll is a function over ledger transactions: each officer-payable posting is earned on
its transaction's date (the shift's local date); a week runs from
``terms.payroll_week_start`` for seven days and is paid ``terms.payroll_pay_days_after``
days after it closes.  Each run is one balanced transaction: the officers' payables are
debited and cash is credited.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

import attrs

from . import ledger
from .money import ZERO
from .spec import PaymentTerms


@attrs.frozen(kw_only=True)
class PayrollRun:
    week_start: date
    week_end: date  # last day of the week (inclusive)
    pay_date: date
    officers: tuple[tuple[str, Decimal], ...]  # (officer, amount), by officer
    transaction: ledger.Transaction | None

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.officers), ZERO)


def week_of(day: date, week_start: int) -> date:
    """The first day of the payroll week containing ``day`` (``week_start``: 0 = Monday)."""
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def weekly_payroll(transactions: Iterable[ledger.Transaction], terms: PaymentTerms = PaymentTerms(),
                   through: date | None = None) -> list[PayrollRun]:
    """One :class:`PayrollRun` per week with officer earnings, oldest first.

    ``through``: only weeks that have closed by this date (the default: every week).
    Negative net pay for an officer in a week (a correction) is carried as a negative line.
    """
    prefix = ledger.OFFICER_PAYABLE + ":"
    earned: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    weeks: dict[date, date] = {}  # a transaction's date -> its payroll week
    for tx in transactions:
        for p in tx.postings:
            if p.account.startswith(prefix):
                week = weeks.get(tx.date)
                if week is None:
                    week = weeks[tx.date] = week_of(tx.date, terms.payroll_week_start)
                earned[week][p.account[len(prefix):]] -= p.amount
    runs = []
    for start in sorted(earned):
        end = start + timedelta(days=6)
        if through is not None and end > through:
            continue
        officers = tuple(sorted((o, a) for o, a in earned[start].items() if a != 0))
        if not officers:
            continue
        amounts: dict[str, Decimal] = {ledger.account(ledger.OFFICER_PAYABLE, o): a for o, a in officers}
        amounts[ledger.CASH] = -sum((a for _, a in officers), ZERO)
        pay_date = end + timedelta(days=terms.payroll_pay_days_after)
        tx = ledger.transaction(pay_date, f"weekly payroll {start.isoformat()} to {end.isoformat()}", amounts,
                                ref=f"payroll:{start.isoformat()}")
        runs.append(PayrollRun(week_start=start, week_end=end, pay_date=pay_date, officers=officers, transaction=tx))
    return runs
