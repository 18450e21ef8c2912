"""Pricing: a charge's billed time in integer cents, as lines a reader can check.

Every hourly line's amount is its hours times its rate, rounded half up to the cent once
(:func:`half_up`, the one rounding point of the engine): ``rate_cents x seconds / 3600`` in
integers.  The hours a line shows are the hours it bills, worked and minimum together, so
"4.00 h x 170.87 = 683.48" can be checked with a pencil.  Amounts stay integer cents inside;
:class:`Line` and :class:`Bill` turn them into ``Decimal`` where they leave (JSON, the
ledger, outputs).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from . import ledger
from .model import Request
from .rules import AgencyRules, Rate
from .spec import Applies, ChargeRule, Extra, FeeHours, Per, ShareHours

_HOUR = 3600


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` cents rounded half up to a whole cent (amounts >= 0): the
    engine's one rounding point."""
    return (numerator * 2 + denominator) // (2 * denominator)


def half_up(rate_cents: int, seconds: int) -> int:
    """``rate_cents`` an hour for ``seconds``, rounded half up to the cent (amounts >= 0)."""
    return (rate_cents * seconds * 2 + _HOUR) // (2 * _HOUR)


_DECIMALS: dict[int, Decimal] = {}


def dec(cents: int) -> Decimal:
    """Integer cents as a two-place ``Decimal`` (kept: the same few thousand amounts recur)."""
    found = _DECIMALS.get(cents)
    if found is None:
        found = Decimal(cents).scaleb(-2)
        if len(_DECIMALS) < 100_000:
            _DECIMALS[cents] = found
    return found


def fmt_cents(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def fmt_hours(seconds: int) -> str:
    """Hours as a line shows them: "2.50" when that is exact, else "1:20:00" (h:mm:ss), so
    that hours x rate is always the exact product the amount was rounded from."""
    if seconds % 36 == 0:
        return fmt_cents(seconds // 36)
    hours, rest = divmod(seconds, _HOUR)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Line(NamedTuple):
    """One line of a bill.  ``party`` is who it concerns: ``vendor`` (invoice), ``officer``
    (pay), ``city`` (owed to the city).  Vendor lines carry how their amount splits into
    officer share, admin fee, city money and card fee (``share + fee + city + card == amount``).
    Money fields are integer cents; the ``Decimal`` properties are for the edges."""

    party: str
    text: str  # what the line is for; ``description`` adds the slot it is for
    cents: int
    rule: str
    seconds: int | None = None
    rate_cents: int | None = None
    slot: int | None = None
    officer: str | None = None
    role: str | None = None
    rate_class: str | None = None
    share_cents: int = 0
    fee_cents: int = 0
    city_cents: int = 0
    card_cents: int = 0

    @property
    def description(self) -> str:
        return self.text if self.slot is None else f"slot {self.slot} ({self.role}): {self.text}"

    @property
    def amount(self) -> Decimal:
        return dec(self.cents)

    @property
    def rate(self) -> Decimal | None:
        return None if self.rate_cents is None else dec(self.rate_cents)

    @property
    def share(self) -> Decimal:
        return dec(self.share_cents)

    @property
    def fee(self) -> Decimal:
        return dec(self.fee_cents)

    @property
    def city(self) -> Decimal:
        return dec(self.city_cents)

    @property
    def card(self) -> Decimal:
        return dec(self.card_cents)

    def to_dict(self) -> dict:
        out = {
            "party": self.party,
            "description": self.description,
            "hours": fmt_hours(self.seconds) if self.seconds is not None else None,
            "rate": fmt_cents(self.rate_cents) if self.rate_cents is not None else None,
            "amount": fmt_cents(self.cents),
            "rule": self.rule,
            "slot": self.slot,
            "officer": self.officer,
        }
        if self.rate_class is not None:
            out["rate_class"] = self.rate_class
        return out


class Shape(NamedTuple):
    """How one shape of charge is priced, whatever slot and officer it is for.

    A charge's lines and sums depend only on its rule, kind and rule id, the slot's role, the
    rate segments of its worked and scheduled time and whether the request has a vehicle;
    the slot index and officer only fill in the lines and two ledger accounts.  Compiled
    rules keep shapes by that value (:attr:`AgencyRules.shapes`), so a year of bills prices
    each shape once.  ``lines`` are the lines' fields before and after (slot, officer, role);
    ``legs`` the agency's ledger legs, with the vendor's and officer's amounts apart.
    """

    lines: tuple[tuple[tuple, tuple], ...]
    vendor: int
    pay: int
    share: int
    fee: int
    city: int
    worked: int
    legs: tuple[tuple[str, int], ...]  # (account, cents)


class _Class:
    """Seconds billed at one rate class in one charge: worked, minimum top-up, holidays."""

    __slots__ = ("rate", "worked", "topup", "holidays")

    def __init__(self, rate: Rate):
        self.rate = rate
        self.worked = 0
        self.topup = 0
        self.holidays: list[str] = []


#: (rate classes, seconds, holiday label) of one piece of billed time.
Segment = tuple[tuple[str, ...], int, "str | None"]

_new = tuple.__new__
_NO_SEGMENTS: tuple[tuple, int] = ((), 0)
_MAX_KEPT = 20_000


class Pricer:
    """Prices the charges of one request under one agency's compiled rules.

    A charge's time is cut into segments (rate classes, seconds, holiday) once per interval:
    on the compiled rules when the agency picks classes by the core's rule, which depends
    only on the role, the holiday and the notice tier; per request when a plugin's
    ``offduty_rate_class`` hook (which sees the request) picks them.  Equal segment tuples
    share one small integer id (:attr:`AgencyRules.segment_ids`), so a shape is looked up
    by a key of strings and integers.
    """

    __slots__ = ("rules", "request", "notice_class", "_segments", "_hooked")

    def __init__(self, rules: AgencyRules, request: Request, notice_class: str | None):
        self.rules = rules
        self.request = request
        self.notice_class = notice_class
        self._hooked = rules.has_rate_hook
        self._segments = {} if self._hooked else rules.segments

    def segments(self, interval: tuple[int, int] | None, role: str, scheduled: tuple[int, int],
                 worked: tuple[int, int] | None) -> tuple[tuple[Segment, ...], int]:
        """The segments of ``interval`` and their id (0 for no time)."""
        if interval is None:
            return _NO_SEGMENTS
        key = (interval, role, scheduled, worked) if self._hooked else (interval, role, self.notice_class)
        found = self._segments.get(key)
        if found is None:
            rules, notice = self.rules, self.notice_class
            segs = tuple([(rules.rate_classes(self.request, role, piece, notice, scheduled, worked),
                           piece.end - piece.start, piece.holiday)
                          for piece in rules.days.pieces(interval[0], interval[1])])
            ids = rules.segment_ids
            if len(ids) >= _MAX_KEPT:  # a long run: start the memos afresh, together
                ids.clear()
                rules.segments.clear()
                rules.shapes.clear()
            elif len(self._segments) >= _MAX_KEPT:  # intervals seldom recur: a year's would pile up
                self._segments.clear()
            sid = ids.get(segs)
            if sid is None:
                sid = ids[segs] = len(ids) + 1
            found = self._segments[key] = (segs, sid)
        return found

    def shape(self, role: str, kind: str, rule: ChargeRule, rule_id: str, scheduled: tuple[int, int],
              worked: tuple[int, int] | None) -> Shape:
        """The priced shape of one charge (``rule_id`` names ``rule`` in these rules)."""
        wsegs, wid = self.segments(worked, role, scheduled, worked)
        if worked == scheduled:  # work as scheduled (most charges): the same segments
            ssegs, sid = wsegs, wid
        else:
            ssegs, sid = self.segments(scheduled, role, scheduled, worked)
        key = (rule_id, kind, role, wid, sid, self.request.vehicle)
        shapes = self.rules.shapes
        found = shapes.get(key)
        if found is None:
            found = shapes[key] = self._shape(role, kind, rule, rule_id, wsegs, ssegs)
        return found

    def _highest(self, segments: tuple[Segment, ...] | list[Segment], role: str) -> Rate:
        classes = self.rules.classes
        best = None
        for names, _, _ in segments:
            cls = classes[names[0]]
            if best is None or cls.total > best.total:
                best = cls
        return best if best is not None else classes[self.rules.role_class[role]]

    def _shape(self, role: str, kind: str, rule: ChargeRule, rule_id: str, wsegs: tuple[Segment, ...],
               ssegs: tuple[Segment, ...]) -> Shape:
        """Price one shape of charge (see :class:`Shape`)."""
        rules, agency = self.rules, self.rules.name
        compiled = rules.charge(rule)
        worked_s = sum(s for _, s, _ in wsegs)
        minimum_s = rules.minimum_s[role]
        if rule.share_hours is ShareHours.WORKED:
            share_s = max(worked_s, minimum_s) if worked_s > 0 else 0
        elif rule.share_hours is ShareHours.WORKED_OR_MINIMUM:
            share_s = max(worked_s, minimum_s)
        else:
            share_s = 0

        # Seconds by rate class: worked, then the minimum's top-up at the highest class worked
        # (or, with nothing worked, from the start of the scheduled shift).
        by_class: dict[str, _Class] = {}
        classes = rules.classes

        def add(into: dict[str, _Class], name: str, worked_part: int, topup_part: int, holiday: str | None) -> None:
            entry = into.get(name)
            if entry is None:
                entry = into[name] = _Class(classes[name])
            entry.worked += worked_part
            entry.topup += topup_part
            if holiday and holiday not in entry.holidays:
                entry.holidays.append(holiday)

        for names, secs, holiday in wsegs:
            for name in names:
                add(by_class, name, secs, 0, holiday)
        topup = share_s - worked_s
        if topup > 0:
            if worked_s > 0:
                add(by_class, self._highest(wsegs, role).name, 0, topup, None)
            else:
                left = topup
                for names, secs, holiday in ssegs:
                    if left <= 0:
                        break
                    use = min(secs, left)
                    for name in names:
                        add(by_class, name, 0, use, holiday)
                    left -= use
                if left > 0:
                    add(by_class, self._highest(ssegs, role).name, 0, left, None)

        lines: list[tuple[tuple, tuple]] = []
        vendor = pay = share_billed = fee = city = 0
        fee_separate = rule.fee_hours is FeeHours.FIRST_SCHEDULED
        plain_work = kind == "work" and rule_id == "work"
        minimum_text = _hours_text(minimum_s)
        for name, entry in by_class.items():
            secs = entry.worked + entry.topup
            if secs <= 0:
                continue
            rate = entry.rate
            label = rate.label + (f" ({', '.join(entry.holidays)})" if entry.holidays else "")
            note = ""
            if entry.topup and entry.worked:
                note = f": {_hours_text(entry.worked)} h worked, billed to the {minimum_text} h minimum"
            elif entry.topup and plain_work:
                note = f": the {minimum_text} h minimum"
            if plain_work:
                line_rule = f"{agency}:minimum-hours" if entry.topup else f"{agency}:rate.{name}"
            else:
                line_rule = f"{agency}:{rule_id}"
            share_amt = half_up(rate.share, secs)
            if fee_separate:
                pay_rule = f"{line_rule}.officer-share"
                lines.append((("vendor", f"{label} hours at the officer's share ({kind} charge){note}", share_amt,
                               pay_rule, secs, rate.share), (name, share_amt, 0, 0, 0)))
                vendor += share_amt
            else:
                total_amt = half_up(rate.total, secs)
                pay_rule = line_rule
                lines.append((("vendor", f"{label} hours{note}", total_amt, line_rule, secs, rate.total),
                              (name, share_amt, total_amt - share_amt, 0, 0)))
                vendor += total_amt
                fee += total_amt - share_amt
            lines.append((("officer", f"{label} hours at the officer's share{note}", share_amt, pay_rule, secs,
                           rate.share), (name, 0, 0, 0, 0)))
            share_billed += share_amt
            pay += share_amt

        if fee_separate:
            fee_s = min(compiled.fee_cap, sum(s for _, s, _ in ssegs))
            fee_classes: dict[str, _Class] = {}
            left = fee_s
            for names, secs, holiday in ssegs:
                if left <= 0:
                    break
                use = min(secs, left)
                for name in names:
                    add(fee_classes, name, use, 0, holiday)
                left -= use
            for name, entry in fee_classes.items():
                rate = entry.rate
                label = rate.label + (f" ({', '.join(entry.holidays)})" if entry.holidays else "")
                amt = half_up(rate.fee, entry.worked)
                lines.append((("vendor", f"admin fee on the first {_hours_text(fee_s)} scheduled hours ({label})",
                               amt, f"{agency}:{rule_id}.admin-fee", entry.worked, rate.fee), (name, 0, amt, 0, 0)))
                vendor += amt
                fee += amt

        if compiled.flat:
            flat_fee = compiled.flat - compiled.flat_officer
            lines.append((("vendor", f"flat {kind} charge", compiled.flat, f"{agency}:{rule_id}.flat", None, None),
                          (None, compiled.flat_officer, flat_fee, 0, 0)))
            vendor += compiled.flat
            fee += flat_fee
            share_billed += compiled.flat_officer
            if compiled.flat_officer:
                lines.append((("officer", f"officer's part of the flat {kind} charge", compiled.flat_officer,
                               f"{agency}:{rule_id}.flat", None, None), (None, 0, 0, 0, 0)))
                pay += compiled.flat_officer

        # The officer's minimum pay on a cancellation (Chandler's 3 hours), absorbed by the operator.
        if compiled.officer_min > share_s:
            extra = compiled.officer_min - share_s
            rate = self._highest(wsegs or ssegs, role)
            amt = half_up(rate.share, extra)
            lines.append((("officer", f"officer minimum pay of {_hours_text(compiled.officer_min)} h "
                                      f"({fmt_hours(extra)} h beyond what the vendor is billed)", amt,
                           f"{agency}:{rule_id}.officer-minimum-pay", extra, rate.share), (rate.name, 0, 0, 0, 0)))
            pay += amt

        # Extras: on the hours billed for work; on the hours worked for a charge.
        extra_s = share_s if kind == "work" else worked_s
        if extra_s > 0:
            for item in rules.extras:
                if item.per is Per.REQUEST or (item.per is Per.SLOT and worked_s <= 0):
                    continue
                if item.applies is Applies.VEHICLE and not self.request.vehicle:
                    continue
                for line in self.extra_parts(item, extra_s if item.per is Per.HOUR else None):
                    lines.append(line)
                    if line[0][0] == "vendor":
                        vendor += line[0][2]
                        fee += line[1][2]
                    else:
                        city += line[0][2]

        # The agency's ledger legs: the city's money, the fee, and the gap between what the
        # officer is paid and the share billed (absorbed, or kept).  The vendor's and the
        # officer's legs are the charge's own (see price).
        gap = pay - share_billed
        legs = [(rules.accounts[0], -city), (rules.accounts[1], -fee)]
        if gap > 0:
            legs.append((ledger.ABSORBED, gap))
        elif gap < 0:
            legs.append((rules.accounts[2], gap))
        if vendor - pay + sum(amount for _, amount in legs) != 0:
            raise ledger.UnbalancedError(f"{agency}:{rule_id}", fmt_cents(vendor - pay + sum(a for _, a in legs)))
        return Shape(tuple(lines), vendor, pay, share_billed, fee, city, worked_s,
                     tuple((account, amount) for account, amount in legs if amount))

    def extra_parts(self, item: Extra, seconds: int | None) -> list[tuple[tuple, tuple]]:
        """The vendor lines of an extra (its first hour apart when priced apart) and, where the
        city gets a share, the city's lines, as (fields before, fields after) the slot."""
        rule = f"{self.rules.name}:extra.{item.name}"
        total, owed = int(item.total * 100), int(item.city_share * 100)
        if seconds is None:
            parts = [(item.label, None, total, owed)]
        elif item.first_hour_total is not None:
            first = min(seconds, _HOUR)
            parts = [(f"{item.label}, first hour", first, int(item.first_hour_total * 100),
                      int(item.first_city_share * 100))]
            if seconds > first:
                parts.append((f"{item.label}, additional hours", seconds - first, total, owed))
        else:
            parts = [(item.label, seconds, total, owed)]
        out: list[tuple[tuple, tuple]] = []
        for label, secs, rate_total, rate_owed in parts:
            amount = rate_total if secs is None else half_up(rate_total, secs)
            to_city = rate_owed if secs is None else half_up(rate_owed, secs)
            out.append((("vendor", label, amount, rule, secs, rate_total if secs is not None else None),
                        (None, 0, amount - to_city, to_city, 0)))
            if to_city:
                out.append((("city", f"{label} owed to the city", to_city, rule, secs,
                             rate_owed if secs is not None else None), (None, 0, 0, 0, 0)))
        return out

    def extra_lines(self, item: Extra, prefix: str) -> list[Line]:
        """A per-request extra's lines (not tied to a slot)."""
        return [_new(Line, (head[0], prefix + head[1]) + head[2:] + (None, None, None) + tail)
                for head, tail in self.extra_parts(item, None)]


def _hours_text(seconds: int) -> str:
    """Hours in words: "2", "2.5", "1:20:00"."""
    text = fmt_hours(seconds)
    return text.rstrip("0").rstrip(".") if "." in text else text


__all__ = ["Line", "Pricer", "Shape", "dec", "fmt_cents", "fmt_hours", "half_up", "round_half_up"]
