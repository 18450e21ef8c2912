"""What a :class:`~offduty_core.lifecycle.JobBoard` offers its distribution methods (the desk:
who may take a posting and why not, award, offer, wake, release, refuse, look-backs, pools),
and the helpers it words and records with.

:class:`BoardDesk` is mixed into ``JobBoard``, like :class:`~offduty_core.board_changes.BoardChanges`;
it uses the board's state (``jobs``, ``book``, ``records``, ``now``, ``_push``, ...).  Kept apart
because it is the interface plugins see (:class:`~offduty_core.distribution.Desk`), while
``lifecycle`` drives time and the job's own steps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from . import model
from .board_records import Awarded, Lapsed, Offered, Record, ReleasedToAll, ResponseRefused
from .board_state import Job, MethodTimer, SlotState
from .distribution import (DistributionConfig, DistributionMethod, Posting, agency_rules, config_for,
                           method_class)
from .eligibility import Eligibility, Reason, core_rules, forget_fixed
from .errors import InputError
from .officers import Officer
from .timeutil import fmt_local

#: Records made on every award are made in field order as plain tuples (as lifecycle does):
#: a named tuple's constructor matching keywords costs several times the tuple.
_new = tuple.__new__


class BoardDesk:
    """The board's side of the distribution methods' desk, and its record helpers (mixed into
    ``JobBoard``)."""

    def why_not(self, posting: Posting, officer: Officer) -> Reason | None:
        """Why ``officer`` may not take ``posting`` now: audience, then eligibility."""
        # Asked for every answer: stage_of's first case (an officer of the shift's agency, no
        # group: stage 0, always open) is taken without the call, as in objection().
        if officer.agency == posting.shift.agency and posting.config.group is None:
            return (posting.eligibility or self._rules_for(posting)).why_not(officer, posting.shift)
        stage = posting.stage_of(officer)
        if stage is None:
            return Reason(officer.badge, "audience",
                          f"{officer.agency} officers are not in the audience of {posting.shift.label} "
                          f"(posted to {', '.join(posting.audience_agencies())}"
                          + (f"; back-up agencies {', '.join(posting.config.backup_agencies)}" if
                             posting.config.backup_agencies and posting.stage == 0 else "") + ")")
        if stage > posting.stage:
            when = self._local(posting.stage_opens_at, posting.shift.agency) if posting.stage_opens_at else "later"
            first = (f"{posting.shift.agency} officers holding {posting.config.group}" if posting.config.group
                     else f"{posting.shift.agency} officers")
            return Reason(officer.badge, "audience",
                          f"{posting.shift.label} is open only to {first} until {when}")
        return (posting.eligibility or self._rules_for(posting)).why_not(officer, posting.shift)

    def objection(self, posting: Posting, officer: Officer) -> str | None:
        """The rule of :meth:`why_not`'s reason (``audience`` or an eligibility rule's name),
        or None, without wording the reason."""
        # Asked for every look that may be a "yes" and every answer: stage_of's first case (an
        # officer of the shift's agency, no group) is taken without the call.
        if officer.agency != posting.shift.agency or posting.config.group is not None:
            stage = posting.stage_of(officer)
            if stage is None or stage > posting.stage:
                return "audience"
        return (posting.eligibility or self._rules_for(posting)).objection(officer, posting.shift)

    def fixed_objection(self, posting: Posting, officer: Officer) -> bool:
        """True when ``officer`` is refused ``posting`` for a reason that stands while the
        posting keeps its stage and shift, whatever is booked meanwhile: outside the audience,
        or an eligibility rule that looks only at the officer and the shift
        (:meth:`Eligibility.fixed_objection <offduty_core.eligibility.Eligibility.fixed_objection>`).
        :meth:`objection` then never names a cap."""
        # Asked for every officer a look planner draws or a rotation walk meets (the rules'
        # answer is kept on the shift, Eligibility.fixed_index): as objection().
        if officer.agency != posting.shift.agency or posting.config.group is not None:
            stage = posting.stage_of(officer)
            if stage is None or stage > posting.stage:
                return True
        return (posting.eligibility or self._rules_for(posting)).fixed_index(officer, posting.shift) >= 0

    def award(self, posting: Posting, badge: str, basis: str) -> Reason | None:
        officer = self.roster.get(badge)
        reason = self.why_not(posting, officer)
        if reason is not None:
            self.refuse(posting, badge, str(reason))
            return reason
        self._grant(posting, officer, basis)
        return None

    def _grant(self, posting: Posting, officer: Officer, basis: str) -> None:
        """Award ``posting`` to ``officer``, whom :meth:`why_not` has just cleared."""
        badge = officer.badge
        shift = posting.shift
        job = self.jobs[shift.request_id]
        st = job.slots[shift.slot]
        self.book.book_shift(officer, shift)
        posting.status = "filled"
        posting.officer = badge
        st.status = "filled"
        st.officer = badge
        job.events.append(model.Assign(slot=st.slot.index, officer=badge, at=self.now))
        self.records.append(_new(Awarded, (self.now, job.request.id, st.slot.index, badge, posting.method.name,
                                           basis, shift.start, shift.end)))
        posting.method.on_filled(self, posting, badge)
        posting.method.on_closed(self, posting)
        forget_fixed(shift)

    def offer(self, posting: Posting, badge: str, deadline: datetime, basis: str) -> None:
        job, st = self._where(posting)
        self._record(Offered, job, st, badge=badge, deadline=deadline, basis=basis)

    def wake(self, posting: Posting, at: datetime, tag: Any) -> None:
        self._push(MethodTimer(at, posting, posting.version, tag))

    def release(self, posting: Posting, why: str) -> None:
        if posting.mode == "first_come":
            return
        posting.mode = "first_come"
        if why:
            job, st = self._where(posting)
            self._record(ReleasedToAll, job, st, reason=why)

    def refuse(self, posting: Posting, badge: str, reason: str) -> None:
        job, st = self._where(posting)
        self._record(ResponseRefused, job, st, badge=badge, reason=reason)

    def lapsed(self, posting: Posting, badge: str) -> None:
        job, st = self._where(posting)
        self._record(Lapsed, job, st, badge=badge)

    def shared(self, key: Any, factory: Callable[[], Any]) -> Any:
        value = self._shared.get(key)
        if value is None:
            value = self._shared[key] = factory()
        return value

    def lookback(self, officer: Officer, kind: str) -> int:
        return self.book.lookback(officer, kind, self.now)

    def pool(self, posting: Posting, stage: int = 0) -> tuple[Officer, ...]:
        shift = posting.shift
        quals = shift.qualifications | ({posting.config.group} if posting.config.group and stage == 0 else set())
        out = self.roster.pool(shift.agency, shift.ranks, frozenset(quals))
        if stage >= 1:
            for agency in posting.config.backup_agencies:
                out = out + self.roster.pool(agency, shift.ranks, shift.qualifications)
        return out

    # --- helpers ----------------------------------------------------------------------------

    def _local(self, moment: datetime, agency: str) -> str:
        """``moment`` as the agency's local wall clock, for messages."""
        return fmt_local(moment, self.registry.rules(agency).info.tz)

    def _where(self, posting: Posting) -> tuple[Job, SlotState]:
        job = self.jobs[posting.shift.request_id]
        return job, job.slots[posting.shift.slot]

    def _record(self, cls: type, job: Job | None, st: SlotState | None = None, request_id: str | None = None,
                **fields: Any) -> Record:
        fields["at"] = self.now
        fields["request_id"] = request_id if request_id is not None else job.request.id
        if st is not None:
            fields["slot"] = st.slot.index
        record = cls(**fields)
        self.records.append(record)
        return record

    def _rules_for(self, posting: Posting) -> Eligibility:
        """The rules for ``posting``'s shifts: one :class:`Eligibility` per (agency, method),
        kept on the posting too (``Posting.eligibility``)."""
        elig = posting.eligibility
        if elig is None:
            key = (posting.shift.agency, id(posting.method))
            elig = self._eligibility.get(key)
            if elig is None:
                extra = self._extra_rules(posting.shift.agency)
                elig = Eligibility(self.book, core_rules() + extra + tuple(posting.method.rules()))
                self._eligibility[key] = elig
            posting.eligibility = elig
        return elig

    def _extra_rules(self, agency: str) -> tuple:
        if agency not in self._agency_rules:
            self._agency_rules[agency] = agency_rules(self.registry.rules(agency))
        return self._agency_rules[agency]

    def eligibility(self, agency: str, method: DistributionMethod | None = None) -> Eligibility:
        """The rules applied to ``agency``'s shifts (core, the agency's, the method's)."""
        extra = tuple(method.rules()) if method is not None else ()
        return Eligibility(self.book, core_rules() + self._extra_rules(agency) + extra)

    def method_for(self, agency: str, category: str) -> tuple[DistributionConfig, DistributionMethod]:
        """The agency's distribution config and method instance for ``category`` (one
        instance per pair, so its state (rotation lists, bidding sets) persists)."""
        key = (agency, category)
        found = self._methods.get(key)
        if found is None:
            config = self.overrides.get(key) or self.overrides.get((agency, "*"))
            if config is None:
                config = config_for(self.registry.rules(agency), category)
            for backup in config.backup_agencies:
                if backup not in self.registry.agencies:
                    raise InputError(f"distribution.{agency}.{category}.backup_agencies", backup,
                                     f"installed agencies: {', '.join(self.registry.names())}")
            cls = method_class(self.registry.pm, config.method)
            found = (config, cls(agency, config.params))
            self._methods[key] = found
        return found
