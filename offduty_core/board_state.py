"""A :class:`~offduty_core.lifecycle.JobBoard`'s mutable state of each job and slot, and its
wake-ups as typed timer records (handed to the caller's scheduler, or kept in the board's heap).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import attrs

from . import billing
from . import model
from .distribution import DistributionConfig, DistributionMethod, Posting
from .eligibility import Shift
from .rules import AgencyRules


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
