"""What changes a posted job: an officer dropping a shift, the vendor cancelling, reducing or
moving it, the work itself (release, clock, no-show, completion), and a live program's roster
changing under it.

:class:`BoardChanges` holds these handlers of :class:`~offduty_core.lifecycle.JobBoard`
(which derives from it); they use the board's state and its helpers (``_job``, ``_slot``,
``_record``, ``_post``, ``_complete``, ...).  Kept apart because they are the part of the
lifecycle that only runs once a shift is out: posting and awarding stay in ``lifecycle``.
"""

from __future__ import annotations

from . import billing
from . import model
from .board_inputs import CancelRequest, ChangeStart, ClockShift, Complete, DropShift, NoShow, ReleaseEarly
from .board_records import (BackupPassed, Cancelled, Clocked, Dropped, NoShowReported, ReleasedEarly, Refused,
                            Reposted, StartChanged)
from .board_state import Job, SlotState
from .eligibility import OfficerBook, forget_fixed
from .errors import InputError, Refusal
from .officers import Roster

_new = tuple.__new__


class BoardChanges:
    """The board's handlers of changes after posting (mixed into ``JobBoard``)."""

    def _on_drop(self, event: DropShift) -> None:
        job = self._job(event.request_id)
        st = self._slot(job, event.slot)
        if st.status != "filled":
            raise InputError("drop.slot", event.slot, f"{st.shift.label} is {st.status}; only a filled shift can be dropped")
        if event.badge is not None and event.badge != st.officer:
            raise InputError("drop.badge", event.badge, f"{st.shift.label} is held by badge {st.officer}")
        if self.now >= st.shift.start:
            raise InputError("drop.at", self._local(event.at, job.agency),
                             f"{st.shift.label} has started; report a no-show or an early release instead")
        badge = st.officer
        self.book.unbook(st.shift.key)
        job.events.append(model.Drop(slot=st.slot.index, at=self.now, officer=badge))
        self._record(Dropped, job, st, badge=badge)
        st.shift = st.shift.barring(badge)
        posting = st.posting
        backups = list(posting.backups)
        self._post_quiet(st)
        for place, b in enumerate(backups, start=1):
            officer = self.roster.get(b)
            reason = self.why_not(posting, officer)
            if reason is None:
                self._record(Reposted, job, st, reason=f"dropped by badge {badge}; back-up {place} takes it",
                             barred=tuple(sorted(st.shift.barred)))
                posting.backups = backups[place:]
                self.award(posting, b, f"back-up {place} of the dropped shift ({posting.method.name} order)")
                return
            self._record(BackupPassed, job, st, badge=b, reason=str(reason))
        self._schedule_slot(job, st, reopened=True)
        self._post(job, st, repost=True, reason=f"dropped by badge {badge}"
                                                + ("; no back-up could take it" if backups else ""))

    def _post_quiet(self, st: SlotState) -> None:
        """Reopen ``st``'s posting for back-ups without a new window (version bump)."""
        posting = st.posting
        posting.version += 1
        posting.shift = st.shift
        posting.status = "open"
        posting.officer = None
        posting.pending = None
        st.status = "open"
        st.officer = None

    # --- vendor changes ---------------------------------------------------------------------

    def _targets(self, job: Job, slots: tuple[int, ...] | None, field: str) -> list[SlotState]:
        if slots is None:
            return list(job.slots)
        if not slots or len(set(slots)) != len(slots):
            raise InputError(field, list(slots), "give a non-empty list of distinct slot numbers")
        return [self._slot(job, s) for s in slots]

    def _refused_event(self, job: Job, what: str, exc: Refusal) -> None:
        self._record(Refused, job, what=what, rule=f"{exc.agency}:{exc.rule}", reason=str(exc))

    def _on_cancel(self, event: CancelRequest) -> None:
        job = self._job(event.request_id)
        targets = self._targets(job, event.slots, "cancel.slots")
        try:
            cancel = model.Cancel(at=self.now, channel=event.channel, request_id=event.quoted_request_id,
                                  slots=tuple(st.slot.index for st in targets) if event.slots is not None else None)
            job.rules.check_event(job.request, cancel)
        except Refusal as exc:
            self._refused_event(job, "cancel", exc)
            return
        assigned, unassigned = [], []
        for st in targets:
            if st.status in ("cancelled", "unfilled", "no_show"):
                continue
            if st.status == "filled":
                if self.now >= st.shift.end:
                    self._record(Refused, job, what="cancel", rule="cancel.after-end",
                                 reason=f"{st.shift.label} ended at {self._local(st.shift.end, job.agency)}; "
                                        "it can no longer be cancelled")
                    continue
                assigned.append(st)
                if self.now >= st.shift.start:  # after the start: an early release for billing
                    self.book.set_hours(st.shift.key, st.shift.start, self.now)
                    self._record(Cancelled, job, st, badge=st.officer, note="after the start: an early release")
                    continue
                self.book.unbook(st.shift.key)
                self._record(Cancelled, job, st, badge=st.officer)
                st.status = "cancelled"
            else:
                self._close_posting(st, "cancelled")
                st.status = "cancelled"
                unassigned.append(st)
                self._record(Cancelled, job, st, badge=None, note="nobody held it: nothing to charge or pay")
        if assigned:
            job.events.append(model.Cancel(at=self.now, channel=event.channel, request_id=event.quoted_request_id,
                                           slots=tuple(st.slot.index for st in assigned)))
        for st in unassigned:
            job.events.append(model.Unfilled(slot=st.slot.index))
        if all(st.status in ("cancelled", "unfilled", "no_show") for st in job.slots):
            self._complete(job)

    def _on_change(self, event: ChangeStart) -> None:
        job = self._job(event.request_id)
        targets = self._targets(job, event.slots, "change_start.slots")
        live = [st for st in targets if st.status in ("pending", "open", "filled")]
        for st in live:
            if self.now >= st.shift.start:
                self._record(Refused, job, what="change_start", rule="change.after-start",
                             reason=f"a start-time change must come before the shift starts "
                                    f"({st.shift.label} started {self._local(st.shift.start, job.agency)})")
                return
        if event.start <= self.now:
            self._record(Refused, job, what="change_start", rule="change.start-in-the-past",
                         reason=f"the new start {self._local(event.start, job.agency)} is not after the change "
                                f"({self._local(self.now, job.agency)})")
            return
        try:
            probe = model.ChangeStart(at=self.now, start=event.start, end=event.end,
                                      officer_accepts=event.officer_accepts is not False, channel=event.channel,
                                      slots=tuple(st.slot.index for st in live) or None)
            job.rules.check_event(job.request, probe)
        except Refusal as exc:
            self._refused_event(job, "change_start", exc)
            return
        if event.end - event.start > billing.MAX_REQUEST_SPAN:
            raise InputError("change_start.end", self._local(event.end, job.agency), "a shift may span at most 31 days")
        for st in live:
            moved = st.shift.moved(event.start, event.end)
            if st.status == "filled":
                officer = self.roster.get(st.officer)
                reason = None
                if event.officer_accepts is False:
                    reason = f"badge {officer.badge} cannot work the new times"
                else:
                    found = self._rules_for(st.posting).why_not(officer, moved)
                    reason = str(found) if found is not None else None
                if reason is None:
                    self.book.rebook(st.shift.key, event.start, event.end)
                    st.shift = moved
                    st.posting.shift = moved
                    job.events.append(model.ChangeStart(at=self.now, start=event.start, end=event.end,
                                                        officer_accepts=True, channel=event.channel,
                                                        slots=(st.slot.index,)))
                    self._record(StartChanged, job, st, start=event.start, end=event.end, badge=officer.badge,
                                 kept=True)
                else:
                    self.book.unbook(st.shift.key)
                    job.events.append(model.ChangeStart(at=self.now, start=event.start, end=event.end,
                                                        officer_accepts=False, channel=event.channel,
                                                        slots=(st.slot.index,)))
                    self._record(StartChanged, job, st, start=event.start, end=event.end, badge=officer.badge,
                                 kept=False, reason=reason)
                    st.shift = moved.barring(officer.badge)
                    self._schedule_slot(job, st)
                    self._post(job, st, repost=True,
                               reason=f"start moved; badge {officer.badge} could not work it and is barred")
                    continue
            else:
                job.events.append(model.ChangeStart(at=self.now, start=event.start, end=event.end,
                                                    officer_accepts=True, channel=event.channel,
                                                    slots=(st.slot.index,)))
                self._record(StartChanged, job, st, start=event.start, end=event.end, badge=None, kept=True)
                st.shift = moved
                if st.status == "open":
                    self._schedule_slot(job, st)
                    self._close_posting(st, "closed")
                    self._post(job, st, repost=True, reason="start moved before the shift was filled")
                    continue
            self._schedule_slot(job, st)
        self._schedule_settle(job)

    def _on_release(self, event: ReleaseEarly) -> None:
        job = self._job(event.request_id)
        st = self._slot(job, event.slot)
        if st.status != "filled" or not st.shift.start < self.now < st.shift.end:
            raise InputError("release.at", self._local(event.at, job.agency),
                             f"a release needs a filled shift and a time inside it ({st.shift.label} is {st.status}, "
                             f"{self._local(st.shift.start, job.agency)} to {self._local(st.shift.end, job.agency)})")
        self.book.set_hours(st.shift.key, st.shift.start, self.now)
        job.events.append(model.Release(slot=st.slot.index, at=self.now))
        self._record(ReleasedEarly, job, st, badge=st.officer)

    def _on_clock(self, event: ClockShift) -> None:
        job = self._job(event.request_id)
        st = self._slot(job, event.slot)
        if st.status != "filled":
            raise InputError("clock.slot", event.slot, f"{st.shift.label} is {st.status}; it was not worked")
        if st.clocked:
            raise InputError("clock.slot", event.slot, f"{st.shift.label} already has a clock record")
        st.clocked = True
        self.book.set_hours(st.shift.key, event.clock_in, event.clock_out)
        job.events.append(model.Clock(slot=st.slot.index, clock_in=event.clock_in, clock_out=event.clock_out))
        # Made in field order as a plain tuple, as the board's other records of every shift.
        self.records.append(_new(Clocked, (self.now, job.request.id, st.slot.index, st.officer, event.clock_in,
                                           event.clock_out)))

    def _on_no_show(self, event: NoShow) -> None:
        job = self._job(event.request_id)
        st = self._slot(job, event.slot)
        if st.status != "filled":
            raise InputError("no_show.slot", event.slot, f"{st.shift.label} is {st.status}")
        self.book.unbook(st.shift.key)
        job.events.append(model.NoShow(slot=st.slot.index))
        self._record(NoShowReported, job, st, badge=st.officer)
        st.status = "no_show"

    def _on_complete(self, event: Complete) -> None:
        job = self._job(event.request_id)
        open_slots = [st for st in job.slots if st.status in ("pending", "open")]
        if open_slots:
            raise InputError("complete", event.request_id,
                             f"{open_slots[0].shift.label} is still {open_slots[0].status}; a job completes after "
                             "every shift is filled and over, cancelled or unfilled")
        if any(st.status == "filled" and self.now < st.shift.end for st in job.slots):
            raise InputError("complete.at", self._local(event.at, job.agency),
                             f"the job's last shift ends {self._local(job.last_end, job.agency)}")
        self._complete(job)

    # --- a live roster change -----------------------------------------------------------------

    def replace_roster(self, roster: Roster) -> None:
        """Go on with ``roster`` (a live program's officers joining, leaving or changing): a
        new officer book from it, with every shift still held booked again to its officer.

        The book is rebuilt, not patched, because an officer's history and schedule feed its
        tables; the eligibility kept per posting is dropped, since it reads the old book.  A
        held shift whose officer left the roster stays held (the change does not take work
        away); it is simply not booked.  Held here means filled and not yet settled or, with
        ``keep_settled``, settled too: their hours still count toward caps and look-backs."""
        book = OfficerBook.for_registry(roster, self.registry)
        for job in self.jobs.values():
            for st in job.slots:
                if st.officer is not None and st.status == "filled" and st.officer in roster.by_badge:
                    shift = st.shift
                    book.book(roster.by_badge[st.officer], (shift.request_id, shift.slot), shift.start, shift.end)
        self.roster, self.book = roster, book
        self._eligibility.clear()
        for job in self.jobs.values():
            for st in job.slots:
                if st.posting is not None:
                    st.posting.eligibility = None
                forget_fixed(st.shift)  # answers kept per officer: the officer may have changed
