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
from typing import Any, Callable, Iterable, Mapping, NamedTuple

import attrs

from . import billing
from . import model
from .distribution import (DistributionConfig, DistributionMethod, Posting, agency_rules, config_for, method_class,
                           qualifications_for, ranks_for)
from .eligibility import Eligibility, OfficerBook, Reason, Shift, ShiftKey, core_rules
from .errors import InputError, OffdutyError, Refusal
from .officers import Officer, Roster
from .rules import AgencyRules
from .timeutil import fmt_local


def _aware(instance: object, attribute: attrs.Attribute, value: datetime | None) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise InputError(attribute.name, value, "must be a timezone-aware datetime")


def _utc(value: object) -> object:
    """Instants in UTC (same-zone aware datetimes subtract by wall clock across DST)."""
    if value.__class__ is datetime and value.tzinfo is timezone.utc:
        return value  # already UTC (the simulator's inputs): nothing to convert
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    return value


# --- inputs -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SubmitRequest:
    """A vendor's request reaches the operator (``at`` defaults to ``received_at``).
    ``shift_set`` groups requests whose shifts open together (bidding)."""

    agency: str
    request: model.Request
    at: datetime = attrs.field(default=None, converter=_utc, validator=_aware)
    shift_set: str | None = None
    payment_method: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.at is None:
            object.__setattr__(self, "at", self.request.received_at)


@attrs.frozen(kw_only=True)
class Apply:
    """An officer signs up (window methods), bids (``preference``: lower first), or accepts
    a shift released first come, first served."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str
    preference: int | None = None


@attrs.frozen(kw_only=True)
class Accept:
    """An officer accepts an offer (sequencing) or a shift open to all (immediate release).
    On a sign-up window it counts as applying."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str


@attrs.frozen(kw_only=True)
class Decline:
    """An officer declines the offer they hold."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str


@attrs.frozen(kw_only=True)
class DropShift:
    """The officer holding ``slot`` drops it before it starts (``badge`` checked if given)."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int
    badge: str | None = None


@attrs.frozen(kw_only=True)
class CancelRequest:
    """The vendor cancels the request, or only ``slots`` (a reduction).  ``channel`` and
    ``quoted_request_id`` (the number the cancellation quotes; default: the right one) are
    what an agency's rules may check (Lynnwood: in writing, quoting the number)."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    channel: str = "email"
    quoted_request_id: str | None = attrs.field(
        default=attrs.Factory(lambda self: self.request_id, takes_self=True))
    slots: tuple[int, ...] | None = attrs.field(default=None, converter=attrs.converters.optional(tuple))


@attrs.frozen(kw_only=True)
class ChangeStart:
    """The vendor moves the shifts (all, or ``slots``) to ``start``-``end``.

    ``officer_accepts``: None (default) keeps each assigned officer who is still eligible at
    the new times; False: they cannot work it; True: they accept if eligible.  An officer
    who does not keep the shift is barred from its repost.
    """

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    start: datetime = attrs.field(converter=_utc, validator=_aware)
    end: datetime = attrs.field(converter=_utc, validator=_aware)
    officer_accepts: bool | None = None
    channel: str = "email"
    slots: tuple[int, ...] | None = attrs.field(default=None, converter=attrs.converters.optional(tuple))

    @end.validator
    def _after(self, attribute: attrs.Attribute, value: datetime) -> None:
        if value <= self.start:
            raise InputError("change_start.end", value.isoformat(timespec="minutes"), "must be after its start")


@attrs.frozen(kw_only=True)
class ReleaseEarly:
    """The vendor releases the officer of ``slot`` at ``at``, before the scheduled end."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int


@attrs.frozen(kw_only=True)
class ClockShift:
    """The officer of ``slot`` clocked in and out; reported at ``at`` (default: clock-out)."""

    request_id: str
    slot: int
    clock_in: datetime = attrs.field(converter=_utc, validator=_aware)
    clock_out: datetime = attrs.field(converter=_utc, validator=_aware)
    at: datetime = attrs.field(default=None, converter=_utc, validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.clock_out <= self.clock_in:
            raise InputError("clock.out", self.clock_out.isoformat(timespec="minutes"), "must be after clock.in")
        if self.at is None:
            object.__setattr__(self, "at", self.clock_out)


@attrs.frozen(kw_only=True)
class NoShow:
    """The officer of ``slot`` did not come."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str
    slot: int


@attrs.frozen(kw_only=True)
class Complete:
    """Settle and bill the job now (it settles by itself ``settle_after`` its last end)."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)
    request_id: str


@attrs.frozen(kw_only=True)
class Tick:
    """Nothing but time passing: run wake-ups due by ``at``."""

    at: datetime = attrs.field(converter=_utc, validator=_aware)


Input = (SubmitRequest | Apply | Accept | Decline | DropShift | CancelRequest | ChangeStart | ReleaseEarly
         | ClockShift | NoShow | Complete | Tick)


# --- records ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Record:
    at: datetime
    request_id: str

    @property
    def kind(self) -> str:
        return type(self).__name__


@attrs.frozen(kw_only=True)
class Approved(Record):
    """The rules admit the request; its shifts are posted at ``posts_at`` (its approval)."""

    agency: str
    roles: tuple[str, ...]
    emergency: bool
    posts_at: datetime
    notes: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Refused(Record):
    """A request, or a vendor's change, that the rules refuse."""

    what: str
    rule: str
    reason: str


@attrs.frozen(kw_only=True)
class SlotRecord(Record):
    slot: int


@attrs.frozen(kw_only=True)
class Posted(SlotRecord):
    role: str
    category: str
    agency: str
    start: datetime
    end: datetime
    method: str
    audience: tuple[str, ...]
    group: str | None = None
    repost: bool = False


@attrs.frozen(kw_only=True)
class StageOpened(SlotRecord):
    audience: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Offered(SlotRecord):
    badge: str
    deadline: datetime
    basis: str


@attrs.frozen(kw_only=True)
class Applied(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class ResponseRefused(SlotRecord):
    badge: str
    reason: str


@attrs.frozen(kw_only=True)
class Declined(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class Lapsed(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class ReleasedToAll(SlotRecord):
    """The shift is now first come, first served (no applicant, list exhausted, ...)."""

    reason: str


@attrs.frozen(kw_only=True)
class Awarded(SlotRecord):
    badge: str
    method: str
    basis: str
    start: datetime
    end: datetime


@attrs.frozen(kw_only=True)
class BackupPassed(SlotRecord):
    badge: str
    reason: str


@attrs.frozen(kw_only=True)
class Dropped(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class Reposted(SlotRecord):
    reason: str
    barred: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Cancelled(SlotRecord):
    badge: str | None
    note: str = ""


@attrs.frozen(kw_only=True)
class StartChanged(SlotRecord):
    start: datetime
    end: datetime
    badge: str | None
    kept: bool
    reason: str = ""


@attrs.frozen(kw_only=True)
class AlertSent(SlotRecord):
    """The vendor is told the shift is still unfilled ``lead`` before its start."""

    lead: timedelta
    start: datetime


@attrs.frozen(kw_only=True)
class ShiftUnfilled(SlotRecord):
    reason: str


@attrs.frozen(kw_only=True)
class Clocked(SlotRecord):
    badge: str
    clock_in: datetime
    clock_out: datetime


@attrs.frozen(kw_only=True)
class ReleasedEarly(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class NoShowReported(SlotRecord):
    badge: str


@attrs.frozen(kw_only=True)
class Completed(Record):
    slots: tuple[str, ...]  # final status of each slot


@attrs.frozen(kw_only=True)
class Billed(Record):
    bill: billing.Bill = attrs.field(repr=False)
    vendor_total: str
    officer_pay_total: str


@attrs.frozen(kw_only=True)
class BillingFailed(Record):
    reason: str


# --- fast construction ------------------------------------------------------------------


def _builder(cls: type) -> Callable[..., Any]:
    """A keyword constructor for the frozen, slotted attrs class ``cls`` that gives an instance
    equal to ``cls(**fields)`` (same fields, defaults, ``__attrs_post_init__``) but sets each
    field through its slot descriptor: attrs' generated ``__init__`` of a frozen class calls
    ``object.__setattr__`` per field, about twice as slow, and the board makes a record (a
    shift, ...) for nearly everything it does.  Converters and validators are NOT run: only
    for values the board made itself or took from already-validated objects.  Outside
    callers keep using ``cls(...)``.  A class it cannot do (not slotted, a factory default)
    gets ``cls`` itself back."""
    fields = attrs.fields(cls)
    names = {field.name for field in fields}
    slots = {}
    for klass in reversed(cls.__mro__):
        slots.update({name: value for name, value in vars(klass).items() if name in names})
    if any(field.name not in slots or not hasattr(slots[field.name], "__set__")
           or isinstance(field.default, attrs.Factory) for field in fields):  # pragma: no cover
        return cls
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params, body = [], []
    for i, field in enumerate(fields):
        namespace[f"_set{i}"] = slots[field.name].__set__
        if field.init:
            if field.default is attrs.NOTHING:
                params.append(field.name)
            else:
                namespace[f"_default{i}"] = field.default
                params.append(f"{field.name}=_default{i}")
            body.append(f"    _set{i}(self, {field.name})")
        elif field.default is not attrs.NOTHING:
            namespace[f"_default{i}"] = field.default
            body.append(f"    _set{i}(self, _default{i})")
    if hasattr(cls, "__attrs_post_init__"):
        body.append("    self.__attrs_post_init__()")
    source = (f"def build(*, {', '.join(params)}):\n    self = _new(_cls)\n" + "\n".join(body)
              + "\n    return self\n")
    exec(source, namespace)  # as attrs makes its __init__
    return namespace["build"]


#: Record class -> its _builder (made on first use).
_BUILDERS: dict[type, Callable[..., Any]] = {}
_SHIFT = _builder(Shift)
# The most frequent records are built directly at their call sites (JobBoard._record's
# **fields would pack and unpack them once more: about 1 us a record).
_APPROVED, _POSTED, _APPLIED, _AWARDED, _CLOCKED, _COMPLETED, _BILLED = (
    _builder(cls) for cls in (Approved, Posted, Applied, Awarded, Clocked, Completed, Billed))
# The two most frequent billing events, for values already checked (see _is_utc).
_ASSIGN, _CLOCK = _builder(model.Assign), _builder(model.Clock)


def _is_utc(value: object) -> bool:
    """An exact-UTC datetime: what the events' ``_utc`` converter and ``_aware`` validator
    would leave as it is."""
    return value.__class__ is datetime and value.tzinfo is timezone.utc


# --- state ------------------------------------------------------------------------------


@attrs.define(eq=False)
class SlotState:
    slot: model.Slot
    shift: Shift
    status: str = "pending"  # pending, open, filled, cancelled, unfilled, no_show
    officer: str | None = None
    posting: Posting | None = None
    epoch: int = 0  # bumped when the start moves: stale alert/start timers are skipped
    clocked: bool = False


@attrs.define(eq=False)
class Job:
    agency: str
    rules: AgencyRules
    request: model.Request
    admission: billing.Admission
    slots: list[SlotState]
    config: DistributionConfig
    method: DistributionMethod
    payment_method: str | None = None
    status: str = "approved"  # approved, posted, completed
    events: list[model.Event] = attrs.Factory(list)  # billing events, in order
    settle_gen: int = 0
    bill: billing.Bill | None = None

    @property
    def last_end(self) -> datetime:
        slots = self.slots
        if len(slots) == 1:  # most jobs: no generator needed
            return slots[0].shift.end
        return max(s.shift.end for s in slots)


# --- timers -----------------------------------------------------------------------------


class PostTimer(NamedTuple):
    """Post the job's shifts at its approval."""

    at: datetime
    job: Job


class MethodTimer(NamedTuple):
    """A wake-up the posting's distribution method asked for (``desk.wake``); stale once the
    posting is reposted (``version``) or closed."""

    at: datetime
    posting: Posting
    version: int
    tag: Any


class StageTimer(NamedTuple):
    """Open the posting to its back-up agencies."""

    at: datetime
    posting: Posting
    version: int


class AlertTimer(NamedTuple):
    """Tell the vendor the shift is still unfilled; stale once filled or moved (``epoch``)."""

    at: datetime
    job: Job
    st: SlotState
    epoch: int


class StartTimer(NamedTuple):
    """The shift starts: unfilled if nobody holds it; stale once filled or moved (``epoch``)."""

    at: datetime
    job: Job
    st: SlotState
    epoch: int


class SettleTimer(NamedTuple):
    """Bill the job; stale once it is rescheduled (``gen``) or completed."""

    at: datetime
    job: Job
    gen: int


Timer = PostTimer | MethodTimer | StageTimer | AlertTimer | StartTimer | SettleTimer


# --- the board --------------------------------------------------------------------------


class JobBoard:
    """Every job of the agencies sharing ``roster``; see the module docstring.

    ``distribution`` overrides the agencies' hooks: ``{agency: {category or "*": config}}``
    with :class:`DistributionConfig` values or plain dicts (:meth:`DistributionConfig.from_dict`).
    ``settle_after``: how long after a job's last shift ends it is billed without a
    :class:`Complete` (clock records may arrive until then).
    ``schedule``: who keeps the board's wake-ups.  By default the board keeps them in its own
    heap (:meth:`advance`, :meth:`next_wakeup`); a caller with its own event queue (the
    simulator's SimPy environment) passes a function that is handed each :data:`Timer` as it
    is set and calls :meth:`fire` with it at its ``at``, so there is one queue, not two.
    """

    def __init__(self, registry: Any, roster: Roster, *,
                 distribution: Mapping[str, Mapping[str, DistributionConfig | Mapping[str, Any]]] | None = None,
                 settle_after: timedelta = timedelta(hours=24), book: OfficerBook | None = None,
                 schedule: Callable[[Timer], None] | None = None):
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
        # Wake-ups as (POSIX seconds, sequence, timer): a heap ordered by float seconds
        # (distinct for distinct microseconds in any year the board sees) compares far faster
        # than by aware datetimes, and the sequence keeps pushes of one instant in order.
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._schedule = schedule
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
        if not isinstance(at, datetime) or at.tzinfo is None:  # inputs' validators refuse these
            raise InputError("until", at, "must be a timezone-aware datetime")
        self._run_until(at.astimezone(timezone.utc))
        handler = self._handlers[type(event)]
        handler(self, event)
        return self.records[mark:]

    def advance(self, until: datetime) -> list[Record]:
        """Run every wake-up due at or before ``until`` (in time order); the clock ends at ``until``."""
        if not isinstance(until, datetime) or until.tzinfo is None:
            raise InputError("until", until, "must be a timezone-aware datetime")
        mark = len(self.records)
        self._run_until(until.astimezone(timezone.utc))  # the board's clock is in UTC, like every input's instant
        return self.records[mark:]

    def _run_until(self, until: datetime) -> None:
        """:meth:`advance` to ``until`` (aware, UTC), without checking it or collecting the records."""
        timers = self._timers
        limit = until.timestamp()
        while timers and timers[0][0] <= limit:
            timer = heapq.heappop(timers)[2]
            if self.now is None or timer.at > self.now:
                self.now = timer.at
            self._fire(timer)
        if self.now is None or until > self.now:
            self.now = until

    def next_wakeup(self) -> datetime | None:
        """When the board next needs :meth:`advance` (None: nothing pending)."""
        timers, live = self._timers, self._live
        while timers and not live(timers[0][2]):
            heapq.heappop(timers)
        return timers[0][2].at if timers else None

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
        if self._schedule is not None:
            self._schedule(timer)
        else:
            heapq.heappush(self._timers, (timer.at.timestamp(), next(self._seq), timer))

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
        elif kind is MethodTimer:
            timer.posting.method.on_timer(self, timer.posting, timer.tag)
        elif kind is StageTimer:
            self._open_stage(timer.posting)
        else:
            self._post_job(timer.job)

    # --- the desk (what methods call) -------------------------------------------------------

    def why_not(self, posting: Posting, officer: Officer) -> Reason | None:
        """Why ``officer`` may not take ``posting`` now: audience, then eligibility."""
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
        return self._rules_for(posting).why_not(officer, posting.shift)

    def objection(self, posting: Posting, officer: Officer) -> str | None:
        """The rule of :meth:`why_not`'s reason (``audience`` or an eligibility rule's name),
        or None, without wording the reason."""
        stage = posting.stage_of(officer)
        if stage is None or stage > posting.stage:
            return "audience"
        shift = posting.shift
        elig = self._eligibility.get((shift.agency, id(posting.method)))  # _rules_for, once it has them
        if elig is None:
            elig = self._rules_for(posting)
        return elig.objection(officer, shift)

    def fixed_objection(self, posting: Posting, officer: Officer) -> bool:
        """True when ``officer`` is refused ``posting`` for a reason that stands while the
        posting keeps its stage and shift, whatever is booked meanwhile: outside the audience,
        or an eligibility rule that looks only at the officer and the shift
        (:meth:`Eligibility.fixed_objection <offduty_core.eligibility.Eligibility.fixed_objection>`).
        :meth:`objection` then never names a cap."""
        stage = posting.stage_of(officer)
        if stage is None or stage > posting.stage:
            return True
        return self._rules_for(posting).fixed_objection(officer, posting.shift)

    def award(self, posting: Posting, badge: str, basis: str) -> Reason | None:
        officer = self.roster.get(badge)
        reason = self.why_not(posting, officer)
        if reason is not None:
            self.refuse(posting, badge, str(reason))
            return reason
        shift = posting.shift
        job = self.jobs[shift.request_id]
        st = job.slots[shift.slot]
        self.book.book(officer, (shift.request_id, shift.slot), shift.start, shift.end)
        posting.status = "filled"
        posting.officer = badge
        st.status = "filled"
        st.officer = badge
        # The badge is on the roster (a checked, non-empty badge): with a UTC clock, Assign's
        # converter and validators would change and refuse nothing.
        job.events.append((_ASSIGN if _is_utc(self.now) else model.Assign)(slot=st.slot.index, officer=badge,
                                                                          at=self.now))
        self.records.append(_AWARDED(at=self.now, request_id=job.request.id, slot=st.slot.index, badge=badge,
                                     method=posting.method.name, basis=basis, start=shift.start, end=shift.end))
        posting.method.on_filled(self, posting, badge)
        posting.method.on_closed(self, posting)
        return None

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
        build = _BUILDERS.get(cls)
        if build is None:
            build = _BUILDERS[cls] = _builder(cls)
        record = build(**fields)
        self.records.append(record)
        return record

    def _rules_for(self, posting: Posting) -> Eligibility:
        key = (posting.shift.agency, id(posting.method))
        elig = self._eligibility.get(key)
        if elig is None:
            extra = self._extra_rules(posting.shift.agency)
            elig = Eligibility(self.book, core_rules() + extra + tuple(posting.method.rules()))
            self._eligibility[key] = elig
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

    def _job(self, request_id: str) -> Job:
        job = self.jobs.get(request_id)
        if job is None:
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
        if request.id in self.jobs or request.id in self.refused:
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
        # The request's instants are UTC and in order (its own converters and validators):
        # Shift's would change nothing, so its shifts are built without them.
        start, end = request.start, request.end
        make = _SHIFT if start.tzinfo is timezone.utc and end.tzinfo is timezone.utc and start < end else Shift
        for slot in admission.slots:
            ranks, quals = self._ranks_quals(event.agency, rules, request.category, slot.role)
            shift = make(request_id=request.id, slot=slot.index, role=slot.role, category=request.category,
                         agency=event.agency, start=start, end=end, ranks=ranks, qualifications=quals,
                         set_id=event.shift_set)
            slots.append(SlotState(slot=slot, shift=shift))
        job = Job(agency=event.agency, rules=rules, request=request, admission=admission, slots=slots,
                  config=config, method=method, payment_method=event.payment_method)
        self.jobs[request.id] = job
        self.records.append(_APPROVED(at=self.now, request_id=request.id, agency=event.agency,
                                      roles=tuple([s.role for s in admission.slots]), emergency=admission.emergency,
                                      posts_at=max(request.approved, self.now), notes=admission.notes))
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
        self._push(SettleTimer(max(job.last_end + self.settle_after, self.now), job, job.settle_gen))

    def _schedule_slot(self, job: Job, st: SlotState) -> None:
        st.epoch += 1
        epoch, start, now = st.epoch, st.shift.start, self.now
        lead = job.rules.unfilled_alert
        if lead is not None:
            self._push(AlertTimer(max(start - lead, now, job.request.approved), job, st, epoch))
        self._push(StartTimer(start if start >= now else now, job, st, epoch))  # max(start, now)

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
            posting = Posting(shift=st.shift, config=config, method=method, posted_at=self.now)
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
        self.records.append(_POSTED(at=self.now, request_id=job.request.id, slot=st.slot.index, role=shift.role,
                                    category=shift.category, agency=shift.agency, start=shift.start, end=shift.end,
                                    method=method.name, audience=posting.audience_agencies(),
                                    group=config.group if posting.stage == 0 else None, repost=repost))
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

    def _unfilled(self, job: Job, st: SlotState, reason: str) -> None:
        self._close_posting(st, "unfilled")
        st.status = "unfilled"
        job.events.append(model.Unfilled(slot=st.slot.index))
        self._record(ShiftUnfilled, job, st, reason=reason)

    # --- officers' answers ------------------------------------------------------------------

    def _answerable(self, event: Apply | Accept | Decline) -> tuple[Job, SlotState, Posting, Officer] | None:
        job = self._job(event.request_id)
        st = self._slot(job, event.slot)
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
        if posting.mode == "first_come":
            self.award(posting, officer.badge, "first eligible officer to accept")
            return
        if officer.badge in posting.applicants:
            self._record(ResponseRefused, job, st, badge=officer.badge,
                         reason=f"badge {officer.badge} has already applied for {st.shift.label}")
            return
        before = len(posting.applicants)
        preference = event.preference if isinstance(event, Apply) else None
        posting.method.on_apply(self, posting, officer.badge, preference)
        if len(posting.applicants) > before:
            self.records.append(_APPLIED(at=self.now, request_id=job.request.id, slot=st.slot.index,
                                         badge=officer.badge))

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
        st.shift = attrs.evolve(st.shift, barred=st.shift.barred | {badge})
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
            moved = attrs.evolve(st.shift, start=event.start, end=event.end)
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
                    st.shift = attrs.evolve(moved, barred=moved.barred | {officer.badge})
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
        # ClockShift checked the times (UTC, out after in): model.Clock's checks would pass.
        make = _CLOCK if _is_utc(event.clock_in) and _is_utc(event.clock_out) else model.Clock
        job.events.append(make(slot=st.slot.index, clock_in=event.clock_in, clock_out=event.clock_out))
        self.records.append(_CLOCKED(at=self.now, request_id=job.request.id, slot=st.slot.index, badge=st.officer,
                                     clock_in=event.clock_in, clock_out=event.clock_out))

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

    def _on_tick(self, event: Tick) -> None:
        return None

    def _complete(self, job: Job) -> None:
        if job.status == "completed":
            return
        for st in job.slots:
            if st.status in ("pending", "open"):
                self._unfilled(job, st, "the job settled with the shift unfilled")
        job.status = "completed"
        self.records.append(_COMPLETED(at=self.now, request_id=job.request.id,
                                       slots=tuple([st.status for st in job.slots])))
        try:
            result = billing.bill_admitted(job.rules, job.admission, tuple(job.events), job.payment_method)
        except OffdutyError as exc:
            self._record(BillingFailed, job, reason=str(exc))
            return
        job.bill = result
        self.records.append(_BILLED(at=self.now, request_id=job.request.id, bill=result,
                                    vendor_total=str(result.vendor_total),
                                    officer_pay_total=str(result.officer_pay_total)))

    _handlers: dict[type, Callable[["JobBoard", Any], None]] = {
        SubmitRequest: _on_submit,
        Apply: _on_apply,
        Accept: _on_apply,
        Decline: _on_decline,
        DropShift: _on_drop,
        CancelRequest: _on_cancel,
        ChangeStart: _on_change,
        ReleaseEarly: _on_release,
        ClockShift: _on_clock,
        NoShow: _on_no_show,
        Complete: _on_complete,
        Tick: _on_tick,
    }

    # --- reading ------------------------------------------------------------------------------

    def slot_state(self, request_id: str, slot: int) -> SlotState:
        return self.jobs[request_id].slots[slot]

    def assignments(self) -> dict[ShiftKey, str]:
        """Who holds each filled shift now."""
        return {(rid, st.slot.index): st.officer for rid, job in self.jobs.items() for st in job.slots
                if st.status == "filled"}
