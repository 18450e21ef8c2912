"""Who may take a shift: composable eligibility rules over an :class:`OfficerBook`.

A rule is a small object with a ``name`` and ``check(officer, shift, book)`` returning
``None`` (no objection) or a reason a coordinator can read; :class:`Eligibility` runs a list
of them, cheapest first, and turns the first objection into a :class:`Reason`
(``badge 117: weekly cap 24 h would be exceeded: 22 h scheduled + 4 h (week from Mon
2027-03-08)``).

The core rules (:func:`core_rules`), in the order they are checked:

``approved-active``  approved for off-duty work and active;
``rank``             the slot's role needs a rank (a supervisor slot: supervisor rank);
``qualification``    the job needs qualifications (a school-safety job: ``sso``);
``barred``           not barred from this shift (the officer who could not work a moved
                     start time, or who dropped it);
``on-duty``          not on duty during the shift, and rested (``min_rest``) before the next
                     on-duty shift;
``overlap``          not booked on another off-duty shift at the same time;
``rest``             at least ``min_rest`` between off-duty shifts;
``daily-cap``, ``weekly-cap``, ``monthly-cap``
                     under the officer's home agency's off-duty hour caps
                     (:class:`~offduty_core.rules.HourCaps`) on every local day, week (from
                     the agency's week-start day) and month the shift touches, counting
                     hours already scheduled and worked.

Rest is required between off-duty shifts and before an on-duty shift (an officer reports
for duty rested); an off-duty shift may start as soon as an on-duty shift ends.  Caps and
rest are those of the officer's *home* agency, also on a back-up agency's shift.

The :class:`OfficerBook` is the mutable state: per officer, booked intervals in a sorted
list (``bisect``), and hours in dicts keyed by (badge, day), (badge, week) and (badge, month),
so a check or a booking costs O(log k) in the officer's own bookings, never a scan of all
shifts or all officers.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import attrs

from .days import month_key, week_key
from .eligibility_rules import (_BOOK_RULES, _CORE_TYPES, ApprovedActive, Barred, DailyCap, FunctionRule, JobsPerDay,
                                MinimumRest, MonthlyCap, NoOverlap, OnDuty, Qualification, RoleRank, Rule, WeeklyCap,
                                PeriodCap, _booked_core_objection, _fixed_core_objection, core_rules,
                                starts_with_core)
from .errors import PluginError
from .officer_book import OfficerBook
from .officers import Officer
from .shifts import UTC, Booking, Shift, ShiftKey, ShiftShape, fmt_gap, fmt_h, shape_of, to_utc

#: What this module has always offered (the shift, the book and the rules live in
#: ``shifts``, ``officer_book`` and ``eligibility_rules`` beside it).
__all__ = [
    "Eligibility", "Reason", "check_rules", "Rule", "core_rules", "Shift", "ShiftKey", "ShiftShape", "Booking",
    "OfficerBook", "ApprovedActive", "RoleRank", "Qualification", "Barred", "OnDuty", "NoOverlap", "MinimumRest",
    "DailyCap", "WeeklyCap", "MonthlyCap", "PeriodCap", "JobsPerDay", "FunctionRule", "fmt_h", "fmt_gap", "shape_of",
    "to_utc", "week_key", "month_key", "UTC",
]


@attrs.frozen
class Reason:
    """Why ``badge`` may not take a shift: the rule that objected and its words."""

    badge: str
    rule: str
    text: str

    def __str__(self) -> str:
        return f"badge {self.badge}: {self.text}"


class Eligibility:
    """Runs a list of rules against the book; the first objection is the reason."""

    def __init__(self, book: OfficerBook, rules: Sequence[Rule] | None = None):
        self.book = book
        self.rules: tuple[Rule, ...] = tuple(core_rules() if rules is None else rules)
        check_rules(self.rules)
        # With only the core's rules (functions of the officer, the shift and the book), the
        # answer for the same officer and shift stands until the book changes: the last one
        # is kept (an officer's answer is checked by the caller, on the answer and on the
        # award, one after the other).
        self._pure = all(type(rule) in _BOOK_RULES for rule in self.rules)
        self._last: tuple | None = None  # (officer, shift, book stamp, rule index or -1, Reason or None)
        # How to ask each rule whether it objects without wording it (objection()): the core
        # rules' find() (the wording is the costly part), any other rule's check().
        self._tests = tuple(rule.find if type(rule) in _BOOK_RULES and hasattr(rule, "find") else rule.check
                            for rule in self.rules)
        # Rules that start with exactly the core rules (the board's always do) have those
        # asked in one call (_first_core_objection); ``_core`` is how many that covers.
        self._core = len(_CORE_TYPES) if starts_with_core(self.rules) else 0
        self._duty_rest = self.rules[4].rest_before_duty if self._core else True

    def fixed_index(self, officer: Officer, shift: Shift) -> int:
        """The index of the first rule that looks only at the officer and the shift to object
        (:meth:`fixed_objection`), or -1: none does, or the rules do not start with the core's.

        ``_fixed_core_objection`` for this book and on-duty rule, asked once per (shift,
        officer).  Callers ask the same pair again and again (a rotation list walked from its
        head at every offer, every look at a posting, the answer and the award).  A Shift and
        an Officer are frozen (a moved or barred shift, a changed officer, is a new object),
        so an answer stands while both do: it is kept on the shift (``Shift.fixed``), and
        goes with it, or when the board closes its posting (:func:`forget_fixed`)."""
        if not self._core:
            return -1
        kept = shift.fixed
        if kept is not None and kept[0] is self:
            answers = kept[1]
            known = answers.get(officer.badge)
            if known is not None and known[0] is officer:
                return known[1]
        else:  # another Eligibility's answers (other rules or book) are not this one's
            answers = {}
            object.__setattr__(shift, "fixed", (self, answers))
        index = _fixed_core_objection(officer, shift, self.book, self._duty_rest)
        answers[officer.badge] = (officer, index)
        return index

    def with_rules(self, extra: Iterable[Rule]) -> "Eligibility":
        return Eligibility(self.book, self.rules + tuple(extra))

    def why_not(self, officer: Officer, shift: Shift) -> Reason | None:
        book = self.book
        last = self._last
        if last is not None and last[0] is officer and last[1] is shift and last[2] == book._stamp:
            index, reason = last[3], last[4]
            if index < 0 or reason is not None:
                return reason
            rule = self.rules[index]  # the objection is known: word it
            reason = Reason(officer.badge, rule.name, rule.check(officer, shift, book))
            self._last = (officer, shift, last[2], index, reason)
            return reason
        index, found = -1, None
        core = self._core
        if core:
            index = self.fixed_index(officer, shift)
            if index < 0:
                index = _booked_core_objection(officer, shift, book)
            if index >= 0:
                rule = self.rules[index]
                found = Reason(officer.badge, rule.name, rule.check(officer, shift, book))
        if index < 0:
            for i in range(core, len(self.rules)):
                rule = self.rules[i]
                text = rule.check(officer, shift, book)
                if text:
                    index, found = i, Reason(officer.badge, rule.name, text)
                    break
        if self._pure:
            self._last = (officer, shift, book._stamp, index, found)
        return found

    def objection(self, officer: Officer, shift: Shift) -> str | None:
        """The name of the first rule that objects (None: eligible), as :meth:`why_not` would
        give it, without wording the reason."""
        book = self.book
        last = self._last
        if last is not None and last[0] is officer and last[1] is shift and last[2] == book._stamp:
            return None if last[3] < 0 else self.rules[last[3]].name
        core = self._core
        if core:
            index = self.fixed_index(officer, shift)
            if index < 0:
                index = _booked_core_objection(officer, shift, book)
        else:
            index = -1
        if index < 0:
            tests = self._tests
            for i in range(core, len(tests)):
                if tests[i](officer, shift, book):
                    index = i
                    break
        if self._pure:
            self._last = (officer, shift, book._stamp, index, None)
        return None if index < 0 else self.rules[index].name

    def fixed_objection(self, officer: Officer, shift: Shift) -> bool:
        """True when a rule that looks only at the officer and the shift objects (approved and
        active, rank, qualification, barred, on duty): an answer that stands whatever is
        booked, for as long as the officer and the shift stay as they are.  False when none
        does, and also when the rules do not start with the core's (it cannot tell then).

        The first objection is then one of those rules, never a cap: a simulator can treat
        such an officer as certain to be refused without asking :meth:`objection` later."""
        return self.fixed_index(officer, shift) >= 0

    def reasons(self, officer: Officer, shift: Shift) -> list[Reason]:
        """Every objection (for ``offduty explain``), not only the first."""
        out = []
        for rule in self.rules:
            text = rule.check(officer, shift, self.book)
            if text:
                out.append(Reason(officer.badge, rule.name, text))
        return out

    def eligible(self, officer: Officer, shift: Shift) -> bool:
        return self.why_not(officer, shift) is None

    def first_eligible(self, officers: Iterable[Officer], shift: Shift, limit: int = 1) -> list[Officer]:
        """The first ``limit`` eligible officers of ``officers`` (in their order): stops as
        soon as it has them."""
        out = []
        for officer in officers:
            if self.why_not(officer, shift) is None:
                out.append(officer)
                if len(out) >= limit:
                    break
        return out


def forget_fixed(shift: Shift) -> None:
    """Drop the fixed rules' answers kept on ``shift`` (its posting closed: nobody will ask
    them again, and a board that keeps its settled jobs would keep them all)."""
    if shift.fixed is not None:
        object.__setattr__(shift, "fixed", None)


def check_rules(rules: Iterable[Any]) -> None:
    names: set[str] = set()
    for rule in rules:
        name = getattr(rule, "name", None)
        if not isinstance(name, str) or not name or not callable(getattr(rule, "check", None)):
            raise PluginError(f"eligibility rule {rule!r} needs a 'name' and a check(officer, shift, book) method")
        if name in names:
            raise PluginError(f"eligibility rule {name!r} is registered twice")
        names.add(name)
