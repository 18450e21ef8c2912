"""bidding: bids during a window; at the close, awards in the agency's order (fewest hours,
seniority, seeded random), one shift per officer per set until every bidder has one."""

from __future__ import annotations

from distribution_helpers import T, apply, awards, cop, make_board, of, refusals, submit, until
from offduty_core.lifecycle import DropShift
from offduty_core.officers import OffDutyRecord

DAYS = ("2027-03-03", "2027-03-04", "2027-03-05")


def event_set(board, n_days=3, slots=1):
    """Three non-overlapping shifts opened together as one set (a three-day event)."""
    for i, day in enumerate(DAYS[:n_days]):
        submit(board, f"E-{i + 1}", f"{day}T18:00", f"{day}T22:00", n=slots, shift_set="fair")


def test_one_shift_per_officer_per_round_in_seniority_order():
    board = make_board([cop("A", "2001-01-01"), cop("B", "2005-01-01")], method="bidding",
                       params={"order": "seniority"})
    event_set(board)
    for rid in ("E-1", "E-2", "E-3"):
        apply(board, "2027-03-01T09:00", rid, "A")
    for rid in ("E-1", "E-2"):
        apply(board, "2027-03-01T09:10", rid, "B")
    until(board, "2027-03-02T09:00")
    # Round 1: A takes E-1 (first preference), B takes E-2; round 2: A takes E-3.
    assert sorted(awards(board)) == [("E-1", 0, "A"), ("E-2", 0, "B"), ("E-3", 0, "A")]
    bases = {r.request_id: r.basis for r in of(board.records, "Awarded")}
    assert bases["E-1"] == "bid award, seniority order: place 1 of 2 bidders, round 1"
    assert bases["E-2"] == "bid award, seniority order: place 2 of 2 bidders, round 1"
    assert bases["E-3"] == "bid award, seniority order: place 1 of 2 bidders, round 2"
    # Every shift of the set closed together.
    assert {r.at for r in of(board.records, "Awarded")} == {T("2027-03-02T08:00")}


def test_preferences_override_bid_order():
    board = make_board([cop("A", "2001-01-01"), cop("B", "2005-01-01")], method="bidding")
    event_set(board)
    apply(board, "2027-03-01T09:00", "E-1", "A", preference=2)
    apply(board, "2027-03-01T09:00", "E-3", "A", preference=1)
    apply(board, "2027-03-01T09:00", "E-3", "B")
    until(board, "2027-03-02T09:00")
    # Round 1: A takes E-3, their first preference, so B (who bid only on E-3) gets nothing;
    # round 2: A takes E-1.  E-2 had no bids.
    assert awards(board) == [("E-3", 0, "A"), ("E-1", 0, "A")]
    assert board.jobs["E-3"].slots[0].posting.backups == ["B"]


def test_fewest_hours_order_with_seniority_breaking_ties():
    busy = cop("A", "2001-01-01", history=(OffDutyRecord(day=T("2027-02-10T00:00").date(), hours="8"),))
    board = make_board([busy, cop("B", "2009-01-01"), cop("C", "2005-01-01")], method="bidding",
                       params={"order": "fewest_hours"})
    submit(board, "E-1", "2027-03-03T18:00", "2027-03-03T22:00", n=1)
    for badge in ("A", "B", "C"):
        apply(board, "2027-03-01T09:00", "E-1", badge)
    until(board, "2027-03-02T09:00")
    assert awards(board) == [("E-1", 0, "C")]  # B and C have 0 h; C is more senior; A has 8 h
    assert board.jobs["E-1"].slots[0].posting.backups == ["B", "A"]


def random_winner(seed: int) -> str:
    board = make_board([cop(b, "2005-01-01") for b in "ABCDEF"], method="bidding",
                       params={"order": "random", "seed": seed})
    submit(board, "E-1", "2027-03-03T18:00", "2027-03-03T22:00")
    for badge in "FEDCBA":
        apply(board, "2027-03-01T09:00", "E-1", badge)
    until(board, "2027-03-02T09:00")
    (_, _, badge), = awards(board)
    assert "random draw order" in of(board.records, "Awarded")[0].basis
    return badge


def test_random_order_is_a_seeded_draw():
    assert random_winner(7) == random_winner(7)
    assert len({random_winner(seed) for seed in range(12)}) > 2  # not always the same officer


def test_no_bids_releases_and_bidders_become_back_ups():
    board = make_board([cop("A", "2001-01-01"), cop("B", "2005-01-01"), cop("C", "2006-01-01")], method="bidding")
    event_set(board, n_days=2)
    apply(board, "2027-03-01T09:00", "E-1", "A")
    apply(board, "2027-03-01T09:00", "E-1", "C")
    apply(board, "2027-03-01T09:00", "E-1", "B")
    until(board, "2027-03-02T09:00")
    released, = of(board.records, "ReleasedToAll")
    assert (released.request_id, released.reason) == ("E-2", "no bids when the window closed")
    board.handle(DropShift(at=T("2027-03-02T10:00"), request_id="E-1", slot=0))
    assert awards(board)[-1] == ("E-1", 0, "B")  # the next bidder in award order


def test_an_ineligible_bid_is_passed_over_with_its_reason():
    board = make_board([cop("A", "2001-01-01", active=False), cop("B", "2005-01-01")], method="bidding")
    submit(board, "E-1", "2027-03-03T18:00", "2027-03-03T22:00")
    apply(board, "2027-03-01T09:00", "E-1", "A")
    assert refusals(board) == ["badge A: not active (on leave or suspended)"]
    apply(board, "2027-03-01T09:00", "E-1", "B")
    until(board, "2027-03-02T09:00")
    assert awards(board) == [("E-1", 0, "B")]


def test_a_request_posted_after_its_set_closed_opens_a_set_of_its_own():
    board = make_board([cop("A", "2001-01-01")], method="bidding")
    submit(board, "E-1", "2027-03-03T18:00", "2027-03-03T22:00", shift_set="fair")
    until(board, "2027-03-02T09:00")
    submit(board, "E-2", "2027-03-06T18:00", "2027-03-06T22:00", shift_set="fair", received="2027-03-02T09:00")
    assert board.jobs["E-2"].slots[0].posting.data["set"] == "fair#2"
    assert board.next_wakeup() == T("2027-03-03T09:00")


def test_a_shift_moved_before_the_close_leaves_its_set_and_opens_a_window_of_its_own():
    from offduty_core.lifecycle import ChangeStart

    board = make_board([cop("A", "2001-01-01"), cop("B", "2005-01-01")], method="bidding")
    event_set(board, n_days=2)
    apply(board, "2027-03-01T09:00", "E-1", "A")
    apply(board, "2027-03-01T09:00", "E-2", "B")
    board.handle(ChangeStart(at=T("2027-03-01T12:00"), request_id="E-1", start=T("2027-03-03T19:00"),
                             end=T("2027-03-03T23:00")))
    assert board.jobs["E-1"].slots[0].posting.data["set"] == "E-1/0-repost-1"
    until(board, "2027-03-02T08:00")  # the old set closes: only E-2 is awarded
    assert awards(board) == [("E-2", 0, "B")]
    apply(board, "2027-03-02T09:00", "E-1", "A")
    until(board, "2027-03-02T12:00")  # the repost's own window: 24 h from 12:00 on the 1st
    assert awards(board) == [("E-2", 0, "B"), ("E-1", 0, "A")]
