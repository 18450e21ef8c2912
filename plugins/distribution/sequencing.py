"""``sequencing``: a rotation list; the officer at its head gets the offer.

Each agency keeps rotation lists (one per ``list`` name, shared by every category that names
it), first ordered by seniority (most senior at the head).  A posted shift is offered to the
first officer on the list who is eligible, in the posting's first stage, not already offered
this shift and not holding another open offer; they have ``response_minutes`` to answer (never
past the start).  Accepting awards the shift and sends the officer to the bottom of the list.
Declining, or letting the offer lapse, moves the offer on to the next officer; with
``roll = "offered"`` the officer who declined or lapsed also goes to the bottom, with
``roll = "accepted"`` they keep their place.  Officers skipped because they were not eligible
keep their place.  An officer awarded a shift of this list in any other way (a back-up, first
come first served) also goes to the bottom.

When nobody eligible is left on the list, ``exhausted = "release"`` releases the shift first
come, first served; ``"wait"`` leaves it for the back-up stage (or the unfilled alert).  When
the back-up stage opens the shift is released first come, first served to everyone in it (an
open offer stays valid until its deadline).

Parameters
----------

``response_minutes`` (number > 0, default 60)
    How long an officer has to answer an offer.
``roll`` (``accepted`` | ``offered``, default ``accepted``)
    Who goes to the bottom of the list: only officers who accept, or every officer offered.
``list`` (text, default ``default``)
    The rotation list's name within the agency.
``exhausted`` (``release`` | ``wait``, default ``release``)
    What happens when every eligible officer on the list has been offered the shift.

Example::

    DistributionConfig(method="sequencing", params={"response_minutes": 30, "roll": "offered"})

Speed: each list keeps a position number per officer and, per (rank, qualification) pool, a
``SortedList`` of (position, badge); finding the head is a walk from the front that stops at
the first eligible officer, and rolling an officer costs O(log n) per pool they are in.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sortedcontainers import SortedList

from offduty_core import hookimpl
from offduty_core.distribution import MAX_HOURS, DistributionMethod, Param
from offduty_core.eligibility import ShiftKey
from offduty_core.officers import Roster


class Rotation:
    """One rotation list of one agency: positions, per-pool ordered views, open offers."""

    def __init__(self, roster: Roster, agency: str, name: str):
        self.roster = roster
        self.agency = agency
        self.name = name
        self.position: dict[str, int] = {}
        for officer in sorted((o for o in roster if o.agency == agency), key=lambda o: o.seniority):
            self.position[officer.badge] = len(self.position)
        self._next = len(self.position)
        self._views: dict[tuple, SortedList] = {}
        self._member_of: dict[str, list[tuple]] = {}
        self.pending: dict[str, ShiftKey] = {}
        self.rolls: list[str] = []  # every roll, in order (tests and explain read it)

    def view(self, ranks: Any, qualifications: frozenset[str]) -> SortedList:
        key = (ranks, qualifications)
        view = self._views.get(key)
        if view is None:
            pool = self.roster.pool(self.agency, ranks, qualifications)
            view = SortedList((self.position[o.badge], o.badge) for o in pool)
            for o in pool:
                self._member_of.setdefault(o.badge, []).append(key)
            self._views[key] = view
        return view

    def roll(self, badge: str) -> None:
        """Send ``badge`` to the bottom of the list."""
        old = self.position.get(badge)
        if old is None:
            return
        new = self._next
        self._next += 1
        self.position[badge] = new
        for key in self._member_of.get(badge, ()):
            view = self._views[key]
            view.remove((old, badge))
            view.add((new, badge))
        self.rolls.append(badge)

    def order(self) -> list[str]:
        """The whole list, head first."""
        return sorted(self.position, key=self.position.__getitem__)


class Sequencing(DistributionMethod):
    name = "sequencing"
    summary = "rotation list: the head gets an offer with a deadline; accepting sends them to the bottom"
    parameters = (
        Param(name="response_minutes", kind=float, default=60.0, minimum=1, maximum=MAX_HOURS * 60,
              doc="how long an officer has to answer an offer"),
        Param(name="roll", kind=str, default="accepted", choices=("accepted", "offered"),
              doc="who goes to the bottom: officers who accept, or every officer offered"),
        Param(name="list", kind=str, default="default", doc="the rotation list's name within the agency"),
        Param(name="exhausted", kind=str, default="release", choices=("release", "wait"),
              doc="when everyone eligible was offered it: release first come first served, or wait"),
    )

    _kept: tuple | None = None  # (desk, its rotation list): asked several times per offer

    def rotation(self, desk) -> Rotation:
        kept = self._kept
        if kept is not None and kept[0] is desk:
            return kept[1]
        name = self.params["list"]
        rotation = desk.shared(("rotation", self.agency, name), lambda: Rotation(desk.roster, self.agency, name))
        self._kept = (desk, rotation)
        return rotation

    def _view(self, desk, posting) -> SortedList:
        quals = posting.shift.qualifications
        if posting.config.group:
            quals = quals | {posting.config.group}
        return self.rotation(desk).view(posting.shift.ranks, frozenset(quals))

    def on_post(self, desk, posting) -> None:
        self.offer_next(desk, posting)

    def offer_next(self, desk, posting) -> None:
        if posting.mode != "method" or not posting.is_open:
            return
        rotation = self.rotation(desk)
        roster = desk.roster
        refused = self._refused(posting)
        for place, (_, badge) in enumerate(self._view(desk, posting), start=1):
            if badge in posting.offered or badge in rotation.pending or badge in refused:
                continue
            officer = roster.get(badge)
            if desk.objection(posting, officer) is not None:  # skipped, so the reason is never worded
                if desk.fixed_objection(posting, officer):
                    refused.add(badge)
                continue
            deadline = min(desk.now + timedelta(minutes=self.params["response_minutes"]), posting.shift.start)
            if deadline <= desk.now:
                break
            posting.offered.add(badge)
            posting.pending = badge
            posting.deadline = deadline
            rotation.pending[badge] = posting.key
            desk.offer(posting, badge, deadline,
                       f"first eligible on the {rotation.name!r} rotation list (place {place})")
            desk.wake(posting, deadline, ("lapse", badge))
            return
        if self.params["exhausted"] == "release":
            desk.release(posting, f"every eligible officer on the {rotation.name!r} rotation list was offered it")
        else:
            posting.data["exhausted"] = True

    @staticmethod
    def _refused(posting) -> set[str]:
        """Badges refused ``posting`` for a reason that stands while it keeps its shift and
        stage (on duty, barred, ...: ``desk.fixed_objection``; the roster does not change):
        the list is walked from its head at every offer, and they are passed over without
        asking again."""
        kept = posting.data.get("refused")
        if kept is None or kept[0] is not posting.shift or kept[1] != posting.stage:
            kept = posting.data["refused"] = (posting.shift, posting.stage, set())
        return kept[2]

    def _clear(self, desk, posting) -> str | None:
        badge = posting.pending
        if badge is not None:
            self.rotation(desk).pending.pop(badge, None)
            posting.pending = None
            posting.deadline = None
        return badge

    def on_apply(self, desk, posting, badge: str, preference: int | None = None) -> None:
        if badge != posting.pending:
            holder = f"it is offered to badge {posting.pending}" if posting.pending else "no offer is open"
            desk.refuse(posting, badge, f"badge {badge}: {posting.shift.label} is offered in rotation order "
                                        f"and {holder}")
            return
        self._clear(desk, posting)
        reason = desk.award(posting, badge, "accepted the rotation offer")
        if reason is not None:
            self.offer_next(desk, posting)

    def on_decline(self, desk, posting, badge: str) -> None:
        if badge != posting.pending:
            return
        self._clear(desk, posting)
        if self.params["roll"] == "offered":
            self.rotation(desk).roll(badge)
        self.offer_next(desk, posting)

    def on_timer(self, desk, posting, tag) -> None:
        if not (isinstance(tag, tuple) and tag[0] == "lapse") or posting.pending != tag[1]:
            return
        badge = self._clear(desk, posting)
        desk.lapsed(posting, badge)
        if self.params["roll"] == "offered":
            self.rotation(desk).roll(badge)
        self.offer_next(desk, posting)

    def on_stage(self, desk, posting) -> None:
        desk.release(posting, "the back-up stage opened: first come, first served")

    def on_filled(self, desk, posting, badge: str) -> None:
        self._clear(desk, posting)
        self.rotation(desk).roll(badge)

    def on_closed(self, desk, posting) -> None:
        self._clear(desk, posting)

    def preference(self, desk, posting, officers):
        position = self.rotation(desk).position
        return sorted(officers, key=lambda o: position.get(o.badge, float("inf")))


@hookimpl
def offduty_register_distribution_methods(register) -> None:
    register(Sequencing.name, Sequencing)
