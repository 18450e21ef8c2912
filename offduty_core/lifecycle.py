"""The job lifecycle: from a vendor's request to a billed result, driven by timed events.

A :class:`JobBoard` holds every job of one or more agencies sharing a roster.  It knows
nothing about clocks: it moves only when it is given an input with a timestamp
(:meth:`JobBoard.handle`) or told to run its own wake-ups up to a time
(:meth:`JobBoard.advance`), and it says when it next needs one (:meth:`JobBoard.next_wakeup`:
a window closing, an offer lapsing, a back-up stage opening, an unfilled alert, a shift
starting unfilled, a job settling).  A SimPy process and a live scheduler drive it the same
way::

    board = JobBoard(registry, roster)
    board.handle(SubmitRequest(agency="chandler-az", request=request))
    board.handle(Accept(at=t, request_id="C-77", slot=0, badge="117"))
    while (t := board.next_wakeup()) is not None:   # or: env.timeout(t - now)
        board.advance(t)

Everything that happens is appended to :attr:`JobBoard.records` as an immutable record
(:class:`Posted`, :class:`Offered`, :class:`Awarded`, ...); metrics are computed from them.

The life of a job
-----------------

1. :class:`SubmitRequest`: the agency's rules admit the request (:func:`billing.admit`:
   prohibited categories, notice, the added supervisor) or it is :class:`Refused`.
2. At approval (``request.approved_at``, else at once) each slot is :class:`Posted` as a
   shift, distributed by the agency's method for the category
   (:mod:`offduty_core.distribution`), first to its first stage, then to back-up agencies.
3. Officers answer with :class:`Apply`, :class:`Accept`, :class:`Decline`; every answer is
   checked (audience, eligibility) and refused with a reason when it cannot count.
4. :class:`Awarded` books the officer (:class:`~offduty_core.eligibility.OfficerBook`).
5. :class:`DropShift`: the officer is unbooked and barred from the shift; its back-ups (the
   other applicants, in order) are tried first, else it is :class:`Reposted`.
6. :class:`CancelRequest` (refused when the agency's rules say so, e.g. Lynnwood by phone)
   and :class:`ChangeStart`: the assigned officer keeps a moved shift if they accept and are
   still eligible at the new times; otherwise the slot is reposted with them barred, charged
   as the agency's policy says (Lynnwood: as a cancellation inside 5 days).
7. :class:`AlertSent` ``unfilled_alert`` before the start if still unfilled (Chandler: 24 h);
   :class:`ShiftUnfilled` at the start.
8. :class:`ClockShift`, :class:`ReleaseEarly`, :class:`NoShow` record the work.
9. ``settle_after`` after the last shift ends (or on :class:`Complete`), the job is
   :class:`Completed` and :class:`Billed` through :func:`offduty_core.billing.bill`, with its
   history converted into the billing events (Assign, Drop, Cancel, ChangeStart, Release,
   Clock, Unfilled, NoShow).  A slot cancelled while nobody held it is passed to billing as
   unfilled: no officer can be paid for it.

Inputs must come in time order; a structural mistake (an unknown request, a slot that does
not exist, time running backwards) raises :class:`~offduty_core.errors.InputError`; an
answer or a change the rules do not allow is recorded (:class:`ResponseRefused`,
:class:`Refused`) and the board goes on.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

from . import billing
from . import model
from .board_changes import BoardChanges
from .board_desk import BoardDesk
from .board_inputs import (Accept, Apply, CancelRequest, ChangeStart, ClockShift, Complete, Decline, DropShift,
                           Input, NoShow, ReleaseEarly, SubmitRequest, Tick)
from .board_records import (AlertSent, Applied, Approved, Awarded, BackupPassed, Billed, BillingFailed,
                            Cancelled, Clocked, Completed, Declined, Dropped, Lapsed, NoShowReported, Offered,
                            Posted, Record, Refused, ReleasedEarly, ReleasedToAll, Reposted, ResponseRefused,
                            ShiftUnfilled, SlotRecord, StageOpened, StartChanged)
from .board_state import (AlertTimer, Job, MethodTimer, PostTimer, SettleTimer, SlotState, StageTimer, StartTimer,
                          Timer)
from .days import epoch
from .distribution import (DistributionConfig, DistributionMethod, Posting, qualifications_for, ranks_for)
from .eligibility import Eligibility, OfficerBook, Reason, Shift, ShiftKey, forget_fixed
from .errors import InputError, OffdutyError, Refusal
from .officers import Officer, Roster
from .pricing import fmt_cents
from .rules import AgencyRules

#: What this module has always offered (the inputs, records, state and timers live in the
#: ``board_*`` modules beside it; callers keep importing them from here).
__all__ = [
    "JobBoard", "Input", "SubmitRequest", "Apply", "Accept", "Decline", "DropShift", "CancelRequest", "ChangeStart",
    "ReleaseEarly", "ClockShift", "NoShow", "Complete", "Tick", "Record", "SlotRecord", "Approved", "Refused",
    "Posted", "StageOpened", "Offered", "Applied", "ResponseRefused", "Declined", "Lapsed", "ReleasedToAll",
    "Awarded", "BackupPassed", "Dropped", "Reposted", "Cancelled", "StartChanged", "AlertSent", "ShiftUnfilled",
    "Clocked", "ReleasedEarly", "NoShowReported", "Completed", "Billed", "BillingFailed", "SlotState", "Job",
    "Timer", "PostTimer", "MethodTimer", "StageTimer", "AlertTimer", "StartTimer", "SettleTimer", "Reason",
]


_new = tuple.__new__
_heappush, _heappop = heapq.heappush, heapq.heappop
_UTC = timezone.utc

#: How often (seconds) a board that drops settled jobs has its book drop the hours counted on
#: days no check or look-back can read any more (:meth:`OfficerBook.prune`).
_PRUNE_EVERY = 30 * 86400


def _timer_request(timer: Timer) -> str:
    """The request id of the job a wake-up is for."""
    job = getattr(timer, "job", None)
    return job.request.id if job is not None else timer.posting.shift.request_id


class JobBoard(BoardDesk, BoardChanges):
    """Every job of the agencies sharing ``roster``; see the module docstring.

    ``distribution`` overrides the agencies' hooks: ``{agency: {category or "*": config}}``
    with :class:`DistributionConfig` values or plain dicts (:meth:`DistributionConfig.from_dict`).
    ``settle_after``: how long after a job's last shift ends it is billed without a
    :class:`Complete` (clock records may arrive until then).
    ``schedule``: who keeps the board's wake-ups.  By default the board keeps them in its own
    heap (:meth:`advance`, :meth:`next_wakeup`); a caller with its own event queue (the
    simulator's SimPy environment) passes a function that is handed each :data:`Timer` as it
    is set and calls :meth:`fire` with it at its ``at``, so there is one queue, not two.
    ``wake`` (or :meth:`set_wake`): the other way to share a caller's queue, the simulator's:
    the board keeps its wake-ups in its own heap and hands ``wake`` each :data:`Timer` that
    becomes the earliest as it is set; the caller keeps one wake-up of its own, no later than
    the earliest (:meth:`next_wakeup` after each :meth:`advance`), and calls :meth:`advance`
    then.  A wake-up made stale meanwhile (a slot filled before its unfilled alert and start,
    ...) is dropped from the heap without costing the caller an event.  Wake-ups due at an
    input's instant run before the input, as with the board's own heap.
    ``keep_settled``: keep a settled job's state in :attr:`jobs` (default, for reading it
    afterwards, as ``offduty explain`` does); False drops it once billed, keeping only its id
    (so later events for it are still refused by name), which keeps a year's memory flat:
    its records, bill included, are what outlives it.  The officer book then forgets its
    bookings too (:meth:`OfficerBook.forget`) and, every 30 days, the hours on days nothing
    will read again (:meth:`OfficerBook.prune`).
    """

    def __init__(self, registry: Any, roster: Roster, *,
                 distribution: Mapping[str, Mapping[str, DistributionConfig | Mapping[str, Any]]] | None = None,
                 settle_after: timedelta = timedelta(hours=24), book: OfficerBook | None = None,
                 schedule: Callable[[Timer], None] | None = None, keep_settled: bool = True,
                 wake: Callable[[Timer], None] | None = None):
        self.registry = registry
        self.roster = roster
        self.book = book if book is not None else OfficerBook.for_registry(roster, registry)
        self.settle_after = settle_after
        self.overrides: dict[tuple[str, str], DistributionConfig] = {}
        for agency, table in (distribution or {}).items():
            registry.rules(agency)  # an unknown agency fails here, by name
            for category, config in table.items():
                if not isinstance(config, DistributionConfig):
                    config = DistributionConfig.from_dict(config, f"distribution.{agency}.{category}")
                self.overrides[(agency, category)] = config
        self.now: datetime | None = None
        self.records: list[Record] = []
        self.jobs: dict[str, Job] = {}
        self.refused: dict[str, Refused] = {}
        self.keep_settled = keep_settled
        self.settled: set[str] = set()  # ids of settled jobs dropped from ``jobs``
        self._next_prune = 0  # when the book next drops hours nothing can read (keep_settled=False)
        # Wake-ups as (instant in UTC, sequence, timer): a heap of one zone's aware datetimes
        # compares them as plain fields (exact, and as cheap as floats; mixed zones would go
        # through their offsets), and the sequence keeps pushes of one instant in order.
        self._timers: list[tuple[datetime, int, Timer]] = []
        self._seq = itertools.count()
        self._schedule = schedule
        self.set_wake(wake)
        self._shared: dict[Any, Any] = {}
        self._methods: dict[tuple[str, str], tuple[DistributionConfig, DistributionMethod]] = {}
        self._eligibility: dict[tuple[str, int], Eligibility] = {}
        self._agency_rules: dict[str, tuple] = {}
        self._slot_needs: dict[tuple[str, str, str], tuple] = {}

    # --- driving ----------------------------------------------------------------------------

    def handle(self, event: Input) -> list[Record]:
        """Run the wake-ups due by ``event.at``, then apply ``event``; return the records made."""
        mark = len(self.records)
        at = event.at
        if self.now is not None and at < self.now:
            raise InputError("event.at", at.isoformat(timespec="minutes"),
                             f"events must come in time order; the board is at {self.now.isoformat(timespec='minutes')}")
        if at.__class__ is not datetime or at.tzinfo is not timezone.utc:
            if not isinstance(at, datetime) or at.tzinfo is None:  # inputs' checks refuse these
                raise InputError("until", at, "must be a timezone-aware datetime")
            at = at.astimezone(timezone.utc)
        timers = self._timers
        if timers and timers[0][0] <= at:  # most inputs find no wake-up due
            self._run_until(at)
        elif self.now is None or at > self.now:
            self.now = at
        handler = self._handlers[type(event)]
        handler(self, event)
        return self.records[mark:]

    def advance(self, until: datetime) -> list[Record]:
        """Run every wake-up due at or before ``until`` (in time order); the clock ends at ``until``."""
        if until.__class__ is not datetime or until.tzinfo is not timezone.utc:
            if not isinstance(until, datetime) or until.tzinfo is None:
                raise InputError("until", until, "must be a timezone-aware datetime")
            until = until.astimezone(timezone.utc)  # the board's clock is in UTC, like every input's instant
        mark = len(self.records)
        self._run_until(until)
        return self.records[mark:]

    def _run_until(self, until: datetime) -> None:
        """:meth:`advance` to ``until`` (aware, UTC), without checking it or collecting the records."""
        timers = self._timers
        while timers and timers[0][0] <= until:  # UTC against UTC: a comparison of fields
            timer = _heappop(timers)[2]
            if self.now is None or timer.at > self.now:
                self.now = timer.at
            self._fire(timer)
        if self.now is None or until > self.now:
            self.now = until

    def set_wake(self, wake: Callable[[Timer], None] | None) -> None:
        """Set (or clear) ``wake`` after the board is made (see the class docstring)."""
        if wake is not None and self._schedule is not None:
            raise InputError("wake", "schedule and wake", "give one way to keep the board's wake-ups")
        self._wake = wake

    def next_wakeup(self) -> datetime | None:
        """When the board next needs :meth:`advance` (None: nothing pending)."""
        timers, live = self._timers, self._live
        while timers and not live(timers[0][2]):
            _heappop(timers)
        return timers[0][2].at if timers else None

    def wakeups(self, requests: set[str] | None = None) -> list[Timer]:
        """The board's live wake-ups in its own heap, earliest first, of every job or of the
        jobs of ``requests`` only (a live service writes them to its timers table after each
        input, for the jobs the input touched); stale ones are left out."""
        live = self._live
        found = [entry for entry in self._timers
                 if (requests is None or _timer_request(entry[2]) in requests) and live(entry[2])]
        return [entry[2] for entry in sorted(found, key=lambda e: (e[0], e[1]))]

    def fire(self, timer: Timer, at: datetime | None = None) -> list[Record]:
        """Run one wake-up that the caller's ``schedule`` kept, at ``timer.at`` (or ``at``, the
        caller's clock when it is due; never before the board's ``now``); a stale one (the
        posting reposted, the slot filled, ...) does nothing.  Returns the records made."""
        mark = len(self.records)
        when = timer.at if at is None else at
        if self.now is None or when > self.now:
            self.now = when
        self._fire(timer)
        return self.records[mark:]

    def run(self, events: Iterable[Input], until: datetime | None = None) -> list[Record]:
        """Handle ``events`` (sorted by time, stable), then every wake-up (up to ``until``)."""
        mark = len(self.records)
        for event in sorted(events, key=lambda e: e.at):
            self.handle(event)
        if until is not None:
            self.advance(until)
        else:
            while (t := self.next_wakeup()) is not None:
                self.advance(t)
        return self.records[mark:]

    def _push(self, timer: Timer) -> None:
        """Keep ``timer`` (the caller's ``schedule``, or the heap); a request pushes about four."""
        if self._schedule is not None:
            self._schedule(timer)
            return
        at = timer[0]  # .at
        if at.tzinfo is not _UTC:  # the simulator's are UTC already
            at = at.astimezone(_UTC)
        entry = (at, next(self._seq), timer)
        timers = self._timers
        _heappush(timers, entry)
        if timers[0] is entry and self._wake is not None:
            self._wake(timer)  # the new earliest: the caller's own wake-up may be too late

    def _live(self, timer: Timer) -> bool:
        """Whether ``timer`` still means something (wake-ups are never unscheduled: a change
        makes the old ones stale instead)."""
        kind = type(timer)
        if kind is StartTimer or kind is AlertTimer:
            st = timer.st
            return st.epoch == timer.epoch and st.status in ("pending", "open") and timer.job.status != "completed"
        if kind is SettleTimer:
            job = timer.job
            return job.status != "completed" and job.settle_gen == timer.gen
        if kind is MethodTimer or kind is StageTimer:
            posting = timer.posting
            return posting.is_open and posting.version == timer.version
        return timer.job.status == "approved"  # PostTimer

    def _fire(self, timer: Timer) -> None:
        if not self._live(timer):
            return
        kind = type(timer)
        if kind is SettleTimer:
            self._complete(timer.job)
        elif kind is StartTimer:
            self._unfilled(timer.job, timer.st, "still unfilled at its start")
        elif kind is AlertTimer:
            job, st = timer.job, timer.st
            self._record(AlertSent, job, st, lead=job.rules.unfilled_alert, start=st.shift.start)
            self._schedule_start(job, st)  # still unfilled: now the start check (_schedule_slot)
        elif kind is MethodTimer:
            timer.posting.method.on_timer(self, timer.posting, timer.tag)
        elif kind is StageTimer:
            self._open_stage(timer.posting)
        else:
            self._post_job(timer.job)

    def _job(self, request_id: str) -> Job:
        job = self.jobs.get(request_id)
        if job is None:
            if request_id in self.settled:
                raise InputError("request_id", request_id, "is completed and billed; it takes no more events")
            if request_id in self.refused:
                raise InputError("request_id", request_id, f"was refused: {self.refused[request_id].reason}")
            raise InputError("request_id", request_id, "is not a request on this board")
        if job.status == "completed":
            raise InputError("request_id", request_id, "is completed and billed; it takes no more events")
        return job

    def _slot(self, job: Job, index: int) -> SlotState:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(job.slots):
            raise InputError("slot", index, f"slots of {job.request.id} are 0..{len(job.slots) - 1}")
        return job.slots[index]

    # --- request, approval, posting ---------------------------------------------------------

    def _on_submit(self, event: SubmitRequest) -> None:
        request = event.request
        if request.id in self.jobs or request.id in self.refused or request.id in self.settled:
            raise InputError("request.id", request.id, "is already on this board")
        rules = self.registry.rules(event.agency)
        try:
            admission = billing.admit(rules, request)
            if event.payment_method is not None:
                rules.terms.method_fee(event.payment_method)
        except Refusal as exc:
            self.refused[request.id] = self._record(Refused, None, request_id=request.id, what="request",
                                                    rule=f"{exc.agency}:{exc.rule}", reason=str(exc))
            return
        except InputError as exc:
            self.refused[request.id] = self._record(Refused, None, request_id=request.id, what="request",
                                                    rule="input", reason=str(exc))
            return
        config, method = self.method_for(event.agency, request.category)
        slots = []
        start, end = request.start, request.end
        for slot in admission.slots:
            ranks, quals = self._ranks_quals(event.agency, rules, request.category, slot.role)
            shift = Shift(request_id=request.id, slot=slot.index, role=slot.role, category=request.category,
                          agency=event.agency, start=start, end=end, ranks=ranks, qualifications=quals,
                          set_id=event.shift_set)
            slots.append(SlotState(slot, shift))
        job = Job(agency=event.agency, rules=rules, request=request, admission=admission, slots=slots,
                  config=config, method=method, payment_method=event.payment_method)
        self.jobs[request.id] = job
        # Records made per request and per slot are made in field order as plain tuples: a named
        # tuple's constructor matching keywords costs several times the tuple.
        self.records.append(_new(Approved, (self.now, request.id, event.agency,
                                            tuple([s.role for s in admission.slots]), admission.emergency,
                                            max(request.approved, self.now), admission.notes)))
        self._schedule_settle(job)
        if request.approved > self.now:
            self._push(PostTimer(request.approved, job))  # before the alerts of the same instant
            for st in slots:
                self._schedule_slot(job, st)
        else:
            for st in slots:
                self._schedule_slot(job, st)
            self._post_job(job)

    def _ranks_quals(self, agency: str, rules: AgencyRules, category: str, role: str) -> tuple:
        """The ranks and qualifications a slot of ``role`` in a ``category`` job needs (asked of
        the agency's hooks once per (agency, category, role), like its distribution config)."""
        key = (agency, category, role)
        found = self._slot_needs.get(key)
        if found is None:
            found = self._slot_needs[key] = (ranks_for(role), qualifications_for(rules, category, role))
        return found

    def _schedule_settle(self, job: Job) -> None:
        job.settle_gen += 1
        # Timers are made as plain tuples (``_new``), like the records: a named tuple's own
        # constructor costs more than the tuple.
        at, now = job.last_end + self.settle_after, self.now
        self._push(_new(SettleTimer, (at if at >= now else now, job, job.settle_gen)))  # max(at, now)

    def _schedule_slot(self, job: Job, st: SlotState, reopened: bool = False) -> None:
        """Set the slot's unfilled alert, or else its start check (those set before go stale).
        ``reopened``: the slot is open again at the same times (a drop): its alert is set only
        if still ahead, as the one set at posting would have fired then; a caller's
        :meth:`next_wakeup` may have let that one go while the slot was filled.  An alert sets
        the start check as it goes out (:meth:`_fire`): a slot filled by then (most) could be
        open at its start only after a drop or a move, which set both again (a new ``epoch``)."""
        st.epoch += 1
        start, now = st.shift.start, self.now
        lead = job.rules.unfilled_alert
        if lead is not None and not (reopened and start - lead <= now):
            self._push(_new(AlertTimer, (max(start - lead, now, job.request.approved), job, st, st.epoch)))
        else:
            self._schedule_start(job, st)

    def _schedule_start(self, job: Job, st: SlotState) -> None:
        """Set the slot's start check (of its current ``epoch``)."""
        start, now = st.shift.start, self.now
        self._push(_new(StartTimer, (start if start >= now else now, job, st, st.epoch)))  # max(start, now)

    def _post_job(self, job: Job) -> None:
        job.status = "posted"
        for st in job.slots:
            if st.status == "pending":
                self._post(job, st, repost=False)

    def _post(self, job: Job, st: SlotState, repost: bool, reason: str = "") -> None:
        """Post (or repost) ``st``'s shift and hand it to the method."""
        if st.shift.start <= self.now:
            self._unfilled(job, st, "posted at or after its start")
            return
        config, method = job.config, job.method
        posting = st.posting
        if posting is None:
            posting = Posting(st.shift, config, method, self.now)  # shift, config, method, posted_at
            st.posting = posting
            if config.staged:
                opens = [t for t in (self.now + config.release_after if config.release_after is not None else None,
                                     st.shift.start - config.release_before_start
                                     if config.release_before_start is not None else None) if t is not None]
                posting.stage_opens_at = min(opens)
                if posting.stage_opens_at <= self.now:
                    posting.stage = 1
        else:
            posting.version += 1
            posting.shift = st.shift
            posting.status = "open"
            posting.mode = "method"
            posting.officer = None
            posting.applicants = []
            posting.offered = set()
            posting.pending = None
            posting.deadline = None
            posting.data = {}
            posting.backups = []
            posting.posted_at = self.now
        st.status = "open"
        st.officer = None
        if repost:
            self._record(Reposted, job, st, reason=reason, barred=tuple(sorted(st.shift.barred)))
        shift = st.shift
        self.records.append(_new(Posted, (self.now, job.request.id, st.slot.index, shift.role, shift.category,
                                          shift.agency, shift.start, shift.end, method.name,
                                          posting.audience_agencies(),
                                          config.group if posting.stage == 0 else None, repost)))
        if posting.stage == 0 and posting.stage_opens_at is not None:
            self._push(StageTimer(posting.stage_opens_at, posting, posting.version))
        method.on_post(self, posting)

    def _open_stage(self, posting: Posting) -> None:
        posting.stage = 1
        job, st = self._where(posting)
        self._record(StageOpened, job, st, audience=posting.audience_agencies())
        posting.method.on_stage(self, posting)

    def _close_posting(self, st: SlotState, status: str) -> None:
        posting = st.posting
        if posting is not None and posting.is_open:
            posting.status = status
            posting.method.on_closed(self, posting)
            forget_fixed(posting.shift)

    def _unfilled(self, job: Job, st: SlotState, reason: str) -> None:
        self._close_posting(st, "unfilled")
        st.status = "unfilled"
        job.events.append(model.Unfilled(slot=st.slot.index))
        self._record(ShiftUnfilled, job, st, reason=reason)

    # --- officers' answers ------------------------------------------------------------------

    def _answerable(self, event: Apply | Accept | Decline) -> tuple[Job, SlotState, Posting, Officer] | None:
        """The job, slot, posting and officer an answer is for, or None when it cannot count
        (recorded as refused); a structural mistake raises (:meth:`_job`, :meth:`_slot`)."""
        job = self.jobs.get(event.request_id)
        if job is None or job.status == "completed":
            job = self._job(event.request_id)  # raises, naming why
        index = event.slot
        slots = job.slots
        st = slots[index] if type(index) is int and 0 <= index < len(slots) else self._slot(job, index)
        posting = st.posting
        why = None
        officer = self.roster.by_badge.get(event.badge)  # Roster.get, without its error
        if officer is None:
            why = f"badge {event.badge} is not on the roster"
        elif st.status == "pending":
            why = f"{st.shift.label} is not posted yet"
        elif posting is None or not posting.is_open:
            holder = f" (to badge {st.officer})" if st.status == "filled" else ""
            why = f"{st.shift.label} is {st.status}{holder}"
        if why is not None:
            self._record(ResponseRefused, job, st, badge=event.badge, reason=why)
            return None
        return job, st, posting, officer

    def _on_apply(self, event: Apply | Accept) -> None:
        found = self._answerable(event)
        if found is None:
            return
        job, st, posting, officer = found
        reason = self.why_not(posting, officer)
        if reason is not None:
            self._record(ResponseRefused, job, st, badge=officer.badge, reason=str(reason))
            return
        if posting.mode == "first_come":  # cleared just above: no second check
            self._grant(posting, officer, "first eligible officer to accept")
            return
        if officer.badge in posting.applicants:
            self._record(ResponseRefused, job, st, badge=officer.badge,
                         reason=f"badge {officer.badge} has already applied for {st.shift.label}")
            return
        before = len(posting.applicants)
        preference = event.preference if isinstance(event, Apply) else None
        posting.method.on_apply(self, posting, officer.badge, preference)
        if len(posting.applicants) > before:
            self.records.append(_new(Applied, (self.now, job.request.id, st.slot.index, officer.badge)))

    def _on_decline(self, event: Decline) -> None:
        found = self._answerable(event)
        if found is None:
            return
        job, st, posting, officer = found
        if posting.pending != officer.badge:
            self._record(ResponseRefused, job, st, badge=officer.badge,
                         reason=f"badge {officer.badge} holds no open offer of {st.shift.label} to decline")
            return
        self._record(Declined, job, st, badge=officer.badge)
        posting.method.on_decline(self, posting, officer.badge)

    def _on_tick(self, event: Tick) -> None:
        return None

    def _complete(self, job: Job) -> None:
        if job.status == "completed":
            return
        for st in job.slots:
            if st.status in ("pending", "open"):
                self._unfilled(job, st, "the job settled with the shift unfilled")
        job.status = "completed"
        at, rid = self.now, job.request.id
        # Records made in field order as plain tuples (``_new``), as the board's others are.
        self.records.append(_new(Completed, (at, rid, tuple([st.status for st in job.slots]))))
        try:
            result = billing.bill_admitted(job.rules, job.admission, tuple(job.events), job.payment_method)
        except OffdutyError as exc:
            self._record(BillingFailed, job, reason=str(exc))
        else:
            job.bill = result
            # The totals' words straight from the integer cents (the same text as str() of the
            # Decimal totals, without making them).
            cents = result.cents
            self.records.append(_new(Billed, (at, rid, result, fmt_cents(cents["vendor"]),
                                              fmt_cents(cents["officer"]))))
        if not self.keep_settled:
            now, forget = epoch(at), self.book.forget
            for st in job.slots:
                forget((rid, st.slot.index), now)
            if now >= self._next_prune:  # a settling board's clock only moves forward
                self.book.prune(now)
                self._next_prune = now + _PRUNE_EVERY
            del self.jobs[rid]
            self.settled.add(rid)

    _handlers: dict[type, Callable[["JobBoard", Any], None]] = {
        SubmitRequest: _on_submit,
        Apply: _on_apply,
        Accept: _on_apply,
        Decline: _on_decline,
        DropShift: BoardChanges._on_drop,
        CancelRequest: BoardChanges._on_cancel,
        ChangeStart: BoardChanges._on_change,
        ReleaseEarly: BoardChanges._on_release,
        ClockShift: BoardChanges._on_clock,
        NoShow: BoardChanges._on_no_show,
        Complete: BoardChanges._on_complete,
        Tick: _on_tick,
    }

    # --- reading ------------------------------------------------------------------------------

    def slot_state(self, request_id: str, slot: int) -> SlotState:
        return self.jobs[request_id].slots[slot]

    def assignments(self) -> dict[ShiftKey, str]:
        """Who holds each filled shift now."""
        return {(rid, st.slot.index): st.officer for rid, job in self.jobs.items() for st in job.slots
                if st.status == "filled"}
