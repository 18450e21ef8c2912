"""Weekly payroll and invoice terms as functions over ledgers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from offduty_core import ledger
from offduty_core.billing import bill
from offduty_core.errors import InputError
from offduty_core.payroll import week_of, weekly_payroll
from offduty_core.plugins import Registry, get_plugin_manager
from offduty_core.spec import PaymentTerms
from offduty_core.story import parse_story
from offduty_core.terms import Invoice, Payment, add_months, invoices, late_charges, payment_transaction

REGISTRY = Registry(get_plugin_manager())  # the seed agencies arrive through their entry points


def wvc(rid: str, start: str, end: str, officer: str, **request) -> list[ledger.Transaction]:
    story = {"agency": "west-valley-city-ut",
             "request": {"id": rid, "vendor": "Acme", "category": "security", "received_at": "2027-01-01T09:00",
                         "start": start, "end": end, "positions": {"officer": 1}, **request},
             "events": [{"type": "assign", "slot": 0, "officer": officer}]}
    s = parse_story(story, REGISTRY)
    return list(bill(s.rules, s.request, s.events).transactions)


def test_week_of_respects_week_start():
    wed = date(2027, 3, 10)
    assert week_of(wed, 0) == date(2027, 3, 8)  # Monday
    assert week_of(wed, 6) == date(2027, 3, 7)  # Sunday
    assert week_of(date(2027, 3, 7), 6) == date(2027, 3, 7)


def test_weekly_payroll_groups_by_officer_and_week_and_balances():
    txs = (wvc("A", "2027-03-10T10:00", "2027-03-10T14:00", "117")      # Wed: 4 h x 50 = 200
           + wvc("B", "2027-03-12T18:00", "2027-03-12T20:00", "117")    # Fri: 2 h x 50 = 100
           + wvc("C", "2027-03-14T08:00", "2027-03-14T11:00", "205")    # Sun (DST, 3 real h): 150
           + wvc("D", "2027-03-15T08:00", "2027-03-15T12:00", "117"))   # next Mon: 200
    runs = weekly_payroll(txs)
    assert [(r.week_start, r.officers) for r in runs] == [
        (date(2027, 3, 8), (("117", Decimal("300.00")), ("205", Decimal("150.00")))),
        (date(2027, 3, 15), (("117", Decimal("200.00")),)),
    ]
    assert runs[0].pay_date == date(2027, 3, 19)  # the Friday after the Mon-Sun week
    all_tx = txs + [r.transaction for r in runs]
    # After payroll every officer payable is settled; cash paid out = officer pay.
    bal = ledger.balances(all_tx)
    assert not any(v for k, v in bal.items() if k.startswith(ledger.OFFICER_PAYABLE))
    assert bal[ledger.CASH] == Decimal("-650.00")
    assert sum(bal.values()) == 0


def test_payroll_through_date_leaves_open_weeks_out():
    txs = wvc("A", "2027-03-10T10:00", "2027-03-10T14:00", "117")
    assert weekly_payroll(txs, through=date(2027, 3, 13)) == []
    assert len(weekly_payroll(txs, through=date(2027, 3, 14))) == 1


def test_payroll_pays_whatever_the_vendor_paid():
    """Officers are paid although the vendor never paid (the operator carries the risk)."""
    txs = wvc("A", "2027-03-10T10:00", "2027-03-10T14:00", "117")
    runs = weekly_payroll(txs)
    assert runs[0].total == Decimal("200.00")
    assert ledger.balances(txs)["assets:receivable:vendor:Acme"] == Decimal("228.00")


def test_invoices_net_30_from_ledger():
    txs = wvc("A", "2027-03-10T10:00", "2027-03-10T14:00", "117")
    (inv,) = invoices(txs)
    assert inv == Invoice(ref="A", vendor="Acme", issued=date(2027, 3, 10), due=date(2027, 4, 9),
                          amount=Decimal("228.00"))


def test_late_charge_is_simple_monthly_on_unpaid_principal():
    inv = Invoice(ref="A", vendor="Acme", issued=date(2027, 1, 31), due=date(2027, 3, 2), amount=Decimal("1000.00"))
    pays = [Payment(ref="A", vendor="Acme", day=date(2027, 4, 15), amount="400.00")]
    charges = late_charges(inv, pays, as_of=date(2027, 6, 1))
    # Apr 2: 1000 unpaid -> 15.00; May 2: 600 unpaid -> 9.00; Jun 2 is after as_of.
    assert [(t.date, t.postings[0].amount) for t in charges] == [
        (date(2027, 4, 2), Decimal("15.00")), (date(2027, 5, 2), Decimal("9.00"))]
    assert all(sum(p.amount for p in t.postings) == 0 for t in charges)


def test_no_late_charge_when_paid_on_time():
    inv = Invoice(ref="A", vendor="Acme", issued=date(2027, 1, 1), due=date(2027, 1, 31), amount=Decimal("50.00"))
    assert late_charges(inv, [Payment(ref="A", vendor="Acme", day=date(2027, 1, 31), amount="50.00")],
                        as_of=date(2027, 12, 31)) == []


def test_add_months_clamps_to_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_payment_settles_receivable():
    txs = wvc("A", "2027-03-10T10:00", "2027-03-10T14:00", "117")
    pay = payment_transaction(Payment(ref="A", vendor="Acme", day=date(2027, 4, 1), amount="228.00"))
    assert ledger.balances(txs + [pay])["assets:receivable:vendor:Acme"] == 0


def test_payment_amount_must_be_positive_cents():
    with pytest.raises(InputError, match="payment.amount"):
        Payment(ref="A", vendor="Acme", day=date(2027, 4, 1), amount="10.005")


def test_method_fees_and_unknown_method():
    terms = PaymentTerms()
    assert terms.method_fee("card") == Decimal("0.03")
    assert terms.method_fee("ach") == terms.method_fee("check") == 0
    with pytest.raises(InputError, match="payment.method: 'bitcoin'.*methods are ach, card, check"):
        terms.method_fee("bitcoin")


def test_unbalanced_transaction_cannot_exist():
    with pytest.raises(InputError, match="must sum to zero"):
        ledger.Transaction(date=date(2027, 1, 1), memo="bad", postings=[
            ledger.Posting(account="a", amount="1.00"), ledger.Posting(account="b", amount="-0.99")])


def test_cent_posting_is_the_posting_of_that_many_cents():
    for cents in (0, 1, -99, 123456):
        made = ledger.cent_posting("a", cents)
        assert made == ledger.Posting(account="a", amount=Decimal(cents) / 100)
        assert made.amount.as_tuple().exponent == -2


def test_a_transaction_s_postings_are_its_amounts_checked_as_postings_check_them():
    made = ledger.transaction(date(2027, 1, 1), "m", {"a": Decimal("50"), "b": Decimal("-49.99"),
                                                      "c": Decimal("-0.01")})
    assert made.postings == (ledger.Posting(account="a", amount=Decimal("50")),
                             ledger.Posting(account="b", amount=Decimal("-49.99")),
                             ledger.Posting(account="c", amount=Decimal("-0.01")))
    for amount, why in ((Decimal("1.005"), "whole number of cents"), (Decimal("NaN"), "finite"), (1.5, "floats")):
        with pytest.raises(InputError, match=why):
            ledger.transaction(date(2027, 1, 1), "m", {"a": amount, "b": Decimal("-1.00")})
