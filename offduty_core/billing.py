"""Billing: a pure function of (agency rules, request, events).

:func:`~offduty_core.admission.admit` validates a request against the agency's compiled
rules and lays out its slots; :func:`~offduty_core.replay.replay` applies the job's events slot by slot into *charges* (work done, a
cancellation, a reduction); :mod:`offduty_core.pricing` prices each charge in integer cents
under its :class:`~offduty_core.spec.ChargeRule`.  The result is a :class:`Bill`: invoice
lines to the vendor, pay lines to officers, lines owed to the city, every one naming the rule
that produced it, and one balanced ledger transaction per charge.  The simulator, the job
board, ``offduty bill`` and the regression harness all bill through :func:`bill_admitted`.

Conventions (README "Billing conventions"):

* Hours are real elapsed seconds, cut at local midnight and at the spec's rate splits; each
  piece bills at the classes the agency's ``offduty_rate_class`` hook picks, else the core's
  (the highest of role, holiday and notice tier, with add-on classes on top).
* A minimum is billed on one line with the hours worked in its class, at the highest class
  worked; a charge with nothing worked (a cancellation) draws its hours from the start of the
  scheduled shift, so a cancelled holiday shift is charged at the holiday rate.
* Each line's amount is its rate times its hours, rounded half up to the cent once; the
  officer's share inside a total-rate line is computed the same way, so an officer's pay
  line always equals the share billed for it.
* Extras (vehicle, workers' comp) apply to the hours billed for work, and to the hours
  actually worked for a cancellation or reduction charge.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Sequence

import attrs

from . import ledger
from .admission import MAX_REQUEST_SPAN, Admission, admit
from .model import Event, Request, Slot
from .pricing import Line, Pricer, Shape, dec, fmt_cents, round_half_up
from .replay import WORK, Charge, replay
from .timeutil import fmt_duration
from .rules import AgencyRules
from .spec import Applies, PaymentTerms, Per

_TOTALS = ("vendor", "share", "fee", "card", "officer", "city")
_new = tuple.__new__


class Priced(NamedTuple):
    """A charge of one slot with its priced :class:`~offduty_core.pricing.Shape`."""

    slot: Slot
    charge: Charge
    shape: Shape
    day: date  # the local date the scheduled shift starts on: the ledger's date


class SlotRow(NamedTuple):
    """How one slot ended: its status, officer, charges and history, and its sums in cents."""

    slot: Slot
    status: str
    officer: str
    charges: tuple[Charge, ...]
    history: tuple[str, ...]
    vendor: int
    pay: int


@attrs.frozen(kw_only=True)
class Bill:
    """The priced result of one request's story.

    Billing keeps the integer result: each slot's charges with their priced shapes
    (``priced``), each slot's outcome (``slot_rows``), the request's own lines (per-request
    extras, the card fee) and totals in integer cents (``cents``: ``vendor``, ``share`` and
    ``fee`` of the vendor lines, ``card``, ``officer``, ``city``).  The views people and
    files read -- :attr:`lines`, :attr:`entries` and :attr:`transactions`, :attr:`slots`,
    the ``Decimal`` totals -- are made from it when first asked for, so a simulated year
    that reads only totals does not pay for the words.
    """

    agency: str
    request: Request
    admission: Admission
    notes: tuple[str, ...]
    payment_method: str | None
    priced: tuple[Priced, ...]
    slot_rows: tuple[SlotRow, ...]
    request_lines: tuple[Line, ...] = ()
    request_entries: tuple[ledger.Entry, ...] = ()
    terms: PaymentTerms = PaymentTerms()
    cents: dict = attrs.field(factory=dict, eq=False, repr=False)
    _views: dict = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def lines(self) -> tuple[Line, ...]:
        """Invoice, pay and city lines: each charge's, then the request's own."""
        found = self._views.get("lines")
        if found is None:
            new = tuple.__new__
            out = []
            for slot, charge, shape, _ in self.priced:
                place = (slot.index, charge.officer, slot.role)
                out.extend([new(Line, head + place + tail) for head, tail in shape.lines])
            found = self._views["lines"] = (*out, *self.request_lines)
        return found

    @property
    def entries(self) -> tuple[ledger.Entry, ...]:
        """One balanced integer-cent ledger entry per charge that moves money, then the
        request's own (extras, card fee)."""
        found = self._views.get("entries")
        if found is None:
            rid = self.request.id
            receivable = ledger.account(ledger.RECEIVABLE, self.request.vendor)
            payable = ledger.OFFICER_PAYABLE
            account, entry = ledger.account, ledger.Entry
            out = []
            for slot, charge, shape, day in self.priced:
                legs = [(receivable, shape.vendor)] if shape.vendor else []
                if shape.pay:
                    legs.append((account(payable, charge.officer), -shape.pay))
                legs.extend(shape.legs)
                if legs:
                    i = slot.index
                    memo = (f"{rid} slot {i}: {charge.kind} ({charge.note})" if charge.note
                            else f"{rid} slot {i}: {charge.kind}")
                    out.append(_new(entry, (day, memo, f"{rid}#{i}", tuple(legs))))
            found = self._views["entries"] = (*out, *self.request_entries) if self.request_entries else tuple(out)
        return found

    @property
    def transactions(self) -> tuple[ledger.Transaction, ...]:
        found = self._views.get("transactions")
        if found is None:
            found = self._views["transactions"] = tuple(e.transaction() for e in self.entries)
        return found

    @property
    def slots(self) -> tuple[dict, ...]:
        """Each slot's outcome as the JSON shows it."""
        found = self._views.get("slots")
        if found is None:
            agency = self.agency
            found = self._views["slots"] = tuple({
                "slot": row.slot.index,
                "role": row.slot.role,
                "added_by_rule": row.slot.added_by_rule,
                "status": row.status if row.status != "open" else ("worked" if row.charges else "open"),
                "officer": row.officer,
                "charges": [{"kind": c.kind, "rule": f"{agency}:{c.rule_id}", "note": c.note} for c in row.charges],
                "history": list(row.history),
                "vendor": fmt_cents(row.vendor),
                "officer_pay": fmt_cents(row.pay),
            } for row in self.slot_rows)
        return found

    @property
    def vendor_total(self) -> Decimal:
        return dec(self.cents["vendor"])

    @property
    def officer_pay_total(self) -> Decimal:
        return dec(self.cents["officer"])

    @property
    def city_total(self) -> Decimal:
        return dec(self.cents["city"])

    @property
    def admin_fee_total(self) -> Decimal:
        return dec(self.cents["fee"])

    @property
    def card_fee_total(self) -> Decimal:
        return dec(self.cents["card"])

    @property
    def absorbed_total(self) -> Decimal:
        """What the operator pays officers beyond the share it bills (Chandler's 3-hour pay)."""
        return dec(self.cents["officer"] - self.cents["share"])

    @property
    def operator_net(self) -> Decimal:
        return dec(self.cents["vendor"] - self.cents["officer"] - self.cents["city"])

    def officer_pay_cents(self) -> dict[str, int]:
        """Pay per officer in integer cents, in the order officers first appear."""
        out: dict[str, int] = defaultdict(int)
        for _, charge, shape, _ in self.priced:
            if shape.pay:
                out[charge.officer] += shape.pay
        return dict(out)

    def officer_pay(self) -> dict[str, Decimal]:
        return {officer: dec(amount) for officer, amount in self.officer_pay_cents().items()}

    def to_dict(self) -> dict:
        c = self.cents
        return {
            "request_id": self.request.id,
            "agency": self.agency,
            "vendor": self.request.vendor,
            "vendor_total": fmt_cents(c["vendor"]),
            "officer_pay_total": fmt_cents(c["officer"]),
            "city_total": fmt_cents(c["city"]),
            "operator_net": fmt_cents(c["vendor"] - c["officer"] - c["city"]),
            "admin_fee_total": fmt_cents(c["fee"]),
            "card_fee_total": fmt_cents(c["card"]),
            "absorbed_officer_pay": fmt_cents(c["officer"] - c["share"]),
            "emergency": self.admission.emergency,
            "notes": list(self.notes),
            "slots": list(self.slots),
            "lines": [l.to_dict() for l in self.lines],
            "ledger": [t.to_dict() for t in self.transactions],
            "invoice": self.invoice(),
        }

    def invoice(self) -> dict | None:
        """The vendor invoice under the agency's terms (issued on the last service date)."""
        if not self.entries:
            return None
        from .terms import invoices

        inv = next((i for i in invoices(self.transactions, self.terms) if i.vendor == self.request.vendor), None)
        if inv is None:
            return None
        return {"issued": inv.issued.isoformat(), "due": inv.due.isoformat(), "net_days": self.terms.net_days,
                "amount": str(inv.amount), "payment_method": self.payment_method,
                "late_charge_monthly": f"{(self.terms.late_charge_monthly * 100).normalize():f} %"}


def bill(rules: AgencyRules, request: Request, events: Sequence[Event] = (),
         payment_method: str | None = None) -> Bill:
    """Price ``request`` and its ``events`` under ``rules``.  Pure: same input, same bill."""
    return bill_admitted(rules, admit(rules, request), events, payment_method)


def bill_admitted(rules: AgencyRules, admission: Admission, events: Sequence[Event] = (),
                  payment_method: str | None = None) -> Bill:
    """:func:`bill` for a request already admitted under the same ``rules`` (``admission`` is
    ``admit(rules, request)``, as the job board keeps it from the request's arrival)."""
    request = admission.request
    states = replay(rules, admission, events)
    pricer = Pricer(rules, request, admission.notice_class)
    price = pricer.shape
    local_date = rules.days.local_date
    priced: list[Priced] = []
    rows: list[SlotRow] = []
    vendor = pay = share = fee = city = 0
    worked_any = False
    for st in states:
        slot_vendor = slot_pay = 0
        slot = st.slot
        role = slot.role
        for charge in st.charges:
            shape = price(role, charge.kind, charge.rule, charge.rule_id, charge.scheduled, charge.worked)
            priced.append(_new(Priced, (slot, charge, shape, local_date(charge.scheduled[0]))))
            slot_vendor += shape.vendor
            slot_pay += shape.pay
            share += shape.share
            fee += shape.fee
            city += shape.city
            if shape.worked:
                worked_any = True
        vendor += slot_vendor
        pay += slot_pay
        rows.append(_new(SlotRow, (slot, st.status, st.officer, tuple(st.charges), tuple(st.history), slot_vendor,
                                   slot_pay)))

    card = 0
    lines: list[Line] = []
    entries: list[ledger.Entry] = []
    if worked_any:
        for item in rules.extras:
            if item.per is not Per.REQUEST or (item.applies is Applies.VEHICLE and not request.vehicle):
                continue
            flat = pricer.extra_lines(item, "request: ")
            lines.extend(flat)
            vendor_amt = flat[0].cents
            city_amt = sum(l.cents for l in flat if l.party == "city")
            vendor += vendor_amt
            fee += vendor_amt - city_amt
            city += city_amt
            entry = ledger.entry(local_date(admission.start_s), f"{request.id}: {item.label}", request.id, [
                (ledger.account(ledger.RECEIVABLE, request.vendor), vendor_amt),
                (ledger.account(ledger.CITY_PAYABLE, rules.name), -city_amt),
                (ledger.account(ledger.ADMIN_FEE, rules.name), city_amt - vendor_amt)])
            if entry is not None:
                entries.append(entry)

    if payment_method is not None:
        num, den = rules.method_fee(payment_method)
        card = round_half_up(vendor * num, den)
        if card:
            text = rules.card_fee_text(payment_method)
            lines.append(Line("vendor", text, card, f"platform:terms.{payment_method}-fee", card_cents=card))
            vendor += card
            entries.append(ledger.Entry(local_date(admission.start_s), f"{request.id}: {payment_method} processing fee",
                                        request.id, ((ledger.account(ledger.RECEIVABLE, request.vendor), card),
                                                     (ledger.CARD_FEE, -card))))
    return Bill(agency=rules.name, request=request, admission=admission, notes=admission.notes,
                payment_method=payment_method, priced=tuple(priced), slot_rows=tuple(rows),
                request_lines=tuple(lines), request_entries=tuple(entries), terms=rules.terms,
                cents={"vendor": vendor, "share": share, "fee": fee, "card": card, "officer": pay, "city": city})


__all__ = ["Admission", "Bill", "MAX_REQUEST_SPAN", "Priced", "SlotRow", "WORK", "admit", "bill", "bill_admitted",
           "fmt_duration"]
