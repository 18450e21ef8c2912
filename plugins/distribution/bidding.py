"""``bidding``: officers bid during a window; at its close shifts are awarded in the agency's
order, one shift per officer per set until every bidder has one.

A *set* is the shifts opened together: every slot of one request, or of several requests
submitted with the same ``shift_set`` (a multi-day event); a shift reposted after a drop or a
moved start is a set of its own.  Officers bid on any shifts of the set while its window is
open; an officer's bids are their preferences in the order made (or by the bid's
``preference`` number, lower first).

At the close, bidders are put in the award order (officers of the first posting stage before
back-up agencies' officers): ``fewest_hours`` (fewest off-duty hours in the look-back, ties by
seniority), ``seniority`` (earliest seniority date, then badge) or ``random`` (a draw seeded
by ``seed`` and the set's id: the same seed gives the same awards).  In round 1 each bidder in
turn gets their most preferred shift still open that they are eligible for; a bidder gets a
second shift only in round 2, after every bidder has had a turn, and so on; a bidder who
gets nothing in a round is done.  Each shift's other bidders stay as its back-ups in award
order.  Shifts nobody could be awarded are released first come, first served.

Parameters
----------

``window_hours`` (number >= 0, default 24) and ``close_before_start_hours`` (default 2)
    As for ``seniority``; the set's window is fixed when its first shift is posted.
``order`` (``fewest_hours`` | ``seniority`` | ``random``, default ``seniority``)
    The award order.
``seed`` (whole number, default 0)
    Seed of the ``random`` order.
``lookback`` (``year_to_date`` | ``rolling_30_days`` | ``job_count``, default ``year_to_date``)
    What ``fewest_hours`` counts (see ``fairness``).

Example::

    DistributionConfig(method="bidding", params={"order": "random", "seed": 7})
"""

from __future__ import annotations

import zlib
from typing import Any

from offduty_core import hookimpl
from offduty_core.distribution import Param, WindowMethod

ORDERS = ("fewest_hours", "seniority", "random")


class Bidding(WindowMethod):
    name = "bidding"
    summary = "bids during a window; awards by fewest hours, seniority or a seeded draw, one per officer per round"
    parameters = WindowMethod.WINDOW_PARAMS + (
        Param(name="order", kind=str, default="seniority", choices=ORDERS, doc="the award order"),
        Param(name="seed", kind=int, default=0, doc="seed of the random award order"),
        Param(name="lookback", kind=str, default="year_to_date",
              choices=("year_to_date", "rolling_30_days", "job_count"), doc="what fewest_hours counts"),
    )

    def sets(self, desk) -> dict[str, dict[str, Any]]:
        return desk.shared(("bidding-sets", self.agency), dict)

    def on_post(self, desk, posting) -> None:
        sets = self.sets(desk)
        base = posting.shift.set_id or posting.shift.request_id
        if posting.version:  # a repost is a set of its own
            base = f"{posting.shift.request_id}/{posting.shift.slot}-repost-{posting.version}"
        close = self.close_time(posting, desk.now)
        name, n = base, 1
        while True:
            current = sets.get(name)
            if current is None:
                if close <= desk.now:
                    desk.release(posting, "posted too close to the start for a bidding window")
                    return
                sets[name] = {"closes_at": close, "closed": False, "postings": [], "bids": []}
                break
            if not current["closed"] and desk.now < current["closes_at"] <= close:
                break  # join the open set: its window closes before this shift's latest close
            n += 1
            name = f"{base}#{n}"
        current = sets[name]
        current["postings"].append(posting)
        posting.data["set"] = name
        posting.data["closes_at"] = current["closes_at"]
        desk.wake(posting, current["closes_at"], ("close", name))

    def on_apply(self, desk, posting, badge: str, preference: int | None = None) -> None:
        current = self.sets(desk)[posting.data["set"]]
        posting.applicants.append(badge)
        current["bids"].append((badge, preference, len(current["bids"]), posting))

    def order_key(self, desk, posting, officer) -> tuple:
        order = self.params["order"]
        if order == "fewest_hours":
            return (desk.lookback(officer, self.params["lookback"]), officer.seniority)
        return officer.seniority

    def award_order(self, desk, postings, officers, set_name: str) -> list:
        stage = {}
        for o in officers:
            stage[o.badge] = min((p.stage_of(o) or 0) for p in postings)
        if self.params["order"] != "random":
            return sorted(officers, key=lambda o: (stage[o.badge], self.order_key(desk, postings[0], o)))
        base = sorted(officers, key=lambda o: o.seniority)
        import numpy as np  # only here: `offduty agencies` and `bill` need no numpy

        seq = np.random.SeedSequence([self.params["seed"] & 0xFFFFFFFF, zlib.crc32(set_name.encode())])
        draw = np.random.default_rng(seq).permutation(len(base))
        return sorted((base[i] for i in draw), key=lambda o: stage[o.badge])

    def preference(self, desk, posting, officers):
        if self.params["order"] == "random":
            return list(officers)
        return sorted(officers, key=lambda o: (posting.stage_of(o) or 0, self.order_key(desk, posting, o)))

    def on_timer(self, desk, posting, tag) -> None:
        if not (isinstance(tag, tuple) and tag[0] == "close"):
            return
        current = self.sets(desk).get(tag[1])
        if current is None or current["closed"]:
            return
        current["closed"] = True
        self.close_set(desk, tag[1], current)

    def close_set(self, desk, name: str, current: dict) -> None:
        # A shift reposted since it joined (a moved start) belongs to its new set, not this one.
        live = [p for p in current["postings"] if p.is_open and p.mode == "method" and p.data.get("set") == name]
        live_ids = {id(p) for p in live}
        bids: dict[str, list] = {}
        for badge, pref, seq, p in current["bids"]:
            if id(p) in live_ids:
                bids.setdefault(badge, []).append((pref if pref is not None else seq, seq, p))
        roster = desk.roster
        order = self.award_order(desk, live, [roster.get(b) for b in bids], name) if live else []
        n = len(order)
        label = {"fewest_hours": "fewest hours", "seniority": "seniority", "random": "random draw"}[self.params["order"]]
        active = {o.badge for o in order}
        round_no = 1
        while active:
            still = set()
            for place, officer in enumerate(order, start=1):
                if officer.badge not in active:
                    continue
                for _, _, p in sorted(bids[officer.badge], key=lambda t: (t[0], t[1])):
                    if not p.is_open or p.mode != "method":
                        continue
                    reason = desk.why_not(p, officer)
                    if reason is not None:
                        if round_no == 1:
                            desk.refuse(p, officer.badge, f"bid passed over at the close: {reason}")
                        continue
                    desk.award(p, officer.badge, f"bid award, {label} order: place {place} of {n} "
                                                 f"bidder{'s' if n != 1 else ''}, round {round_no}")
                    still.add(officer.badge)
                    break
            active = still
            round_no += 1
        rank = {o.badge: i for i, o in enumerate(order)}
        for p in live:
            if p.status == "filled":
                p.backups = sorted((b for b in dict.fromkeys(p.applicants) if b != p.officer), key=rank.__getitem__)
            elif p.is_open:
                if p.applicants:
                    desk.release(p, f"none of its {len(set(p.applicants))} bidder(s) could be awarded it")
                else:
                    desk.release(p, "no bids when the window closed")


@hookimpl
def offduty_register_distribution_methods(register) -> None:
    register(Bidding.name, Bidding)
