"""Golden money documents: a batch of stories' bills (or refusals), invoices and weekly payroll
as plain data (:meth:`TrafficResult.to_golden`), and the readable difference between two of
them (:func:`diff_goldens`).

The plugin authors' pytest harness (:mod:`offduty_core.testing`) compares a rule change with
its stored golden this way, and ``offduty service replay`` compares a live log re-priced under
a proposed spec with what was billed, so both print money moving in the same format.  Kept
apart from the harness because it needs no pytest.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from .billing import Bill, bill
from .errors import OffdutyError
from .money import ZERO, fmt
from .payroll import weekly_payroll
from .terms import invoices


@attrs.frozen
class TrafficResult:
    agency: str
    seed: int
    stories: tuple[dict, ...]
    outcomes: tuple[Bill | str, ...]  # a Bill, or the refusal/error message

    @property
    def bills(self) -> list[Bill]:
        return [o for o in self.outcomes if isinstance(o, Bill)]

    def transactions(self) -> list:
        return [t for b in self.bills for t in b.transactions]

    def to_golden(self) -> dict[str, Any]:
        requests: dict[str, Any] = {}
        for story, outcome in zip(self.stories, self.outcomes):
            rid = story["request"]["id"]
            if isinstance(outcome, str):
                requests[rid] = {"refused": outcome}
                continue
            requests[rid] = {
                "vendor_total": fmt(outcome.vendor_total),
                "officer_pay_total": fmt(outcome.officer_pay_total),
                "city_total": fmt(outcome.city_total),
                "lines": [[l.party, l.rule, l.description, l.to_dict()["hours"], l.to_dict()["rate"], fmt(l.amount)]
                          for l in outcome.lines],
            }
        payroll = {run.week_start.isoformat(): {o: fmt(a) for o, a in run.officers}
                   for run in weekly_payroll(self.transactions())}
        bills = self.bills
        return {
            "agency": self.agency,
            "seed": self.seed,
            "totals": {
                "requests": len(self.stories),
                "billed": len(bills),
                "vendor": fmt(sum((b.vendor_total for b in bills), ZERO)),
                "officers": fmt(sum((b.officer_pay_total for b in bills), ZERO)),
                "city": fmt(sum((b.city_total for b in bills), ZERO)),
                "operator_net": fmt(sum((b.operator_net for b in bills), ZERO)),
                "invoices": len(invoices(self.transactions())),
            },
            "requests": requests,
            "payroll": payroll,
        }



def price_stories(stories: tuple[dict, ...], registry: Any, agency: str, seed: int = 0) -> TrafficResult:
    """Bill each job story (decoded JSON) under ``registry``: a :class:`TrafficResult` with
    each story's bill, or its refusal's message."""
    from .story import parse_story

    outcomes: list[Bill | str] = []
    for story in stories:
        try:
            parsed = parse_story(story, registry)
            outcomes.append(bill(parsed.rules, parsed.request, parsed.events, parsed.payment_method))
        except OffdutyError as exc:
            outcomes.append(str(exc))
    return TrafficResult(agency=agency, seed=seed, stories=tuple(stories), outcomes=tuple(outcomes))


def _money(value: str) -> Decimal:
    return Decimal(value)


def _priced(line: list) -> str:
    """A golden line's money as its invoice shows it: ``hours h x rate = amount``, or the
    amount alone for a line priced without hours (a card fee, a flat charge)."""
    _, _, _, hours, rate, amount = line
    if hours is None or rate is None:
        return amount
    return f"{hours} h x {rate} = {amount}"


def diff_goldens(old: dict[str, Any], new: dict[str, Any], limit: int = 40) -> list[str]:
    """Readable differences between two golden documents: requests, lines, payroll."""
    out: list[str] = []
    for key in ("vendor", "officers", "city", "operator_net"):
        a, b = old.get("totals", {}).get(key), new.get("totals", {}).get(key)
        if a != b:
            delta = _money(b or "0") - _money(a or "0")
            out.append(f"total {key}: {a} -> {b} ({delta:+})")
    old_req, new_req = old.get("requests", {}), new.get("requests", {})
    for rid in sorted(set(old_req) | set(new_req)):
        a, b = old_req.get(rid), new_req.get(rid)
        if a == b:
            continue
        if a is None or b is None:
            out.append(f"{rid}: {'added' if a is None else 'removed'}")
            continue
        if "refused" in a or "refused" in b:
            out.append(f"{rid}: {a.get('refused', 'billed ' + str(a.get('vendor_total')))} -> "
                       f"{b.get('refused', 'billed ' + str(b.get('vendor_total')))}")
            continue
        delta = _money(b["vendor_total"]) - _money(a["vendor_total"])
        out.append(f"{rid}: vendor {a['vendor_total']} -> {b['vendor_total']} ({delta:+}), officers "
                   f"{a['officer_pay_total']} -> {b['officer_pay_total']}")
        keyed_a = {(l[0], l[1], l[2]): l for l in a["lines"]}
        keyed_b = {(l[0], l[1], l[2]): l for l in b["lines"]}
        for k in list(keyed_a) + [k for k in keyed_b if k not in keyed_a]:
            la, lb = keyed_a.get(k), keyed_b.get(k)
            if la == lb:
                continue
            party, rule, desc = k
            if la is None:
                out.append(f"    + {party} {desc} [{rule}]: {_priced(lb)}")
            elif lb is None:
                out.append(f"    - {party} {desc} [{rule}]: {_priced(la)}")
            else:
                d = _money(lb[5]) - _money(la[5])
                out.append(f"    ~ {party} {desc} [{rule}]: {_priced(la)} -> {_priced(lb)} ({d:+})")
    old_pay, new_pay = old.get("payroll", {}), new.get("payroll", {})
    for week in sorted(set(old_pay) | set(new_pay)):
        a, b = old_pay.get(week, {}), new_pay.get(week, {})
        for officer in sorted(set(a) | set(b)):
            if a.get(officer) != b.get(officer):
                d = _money(b.get(officer, "0")) - _money(a.get(officer, "0"))
                out.append(f"payroll week of {week}, officer {officer}: {a.get(officer, '0.00')} -> "
                           f"{b.get(officer, '0.00')} ({d:+})")
    if len(out) > limit:
        out = out[:limit] + [f"... and {len(out) - limit} more differences"]
    return out
