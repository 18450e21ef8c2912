"""sequencing: the head of the rotation list gets an offer with a deadline; accepting rolls
the officer to the bottom; declining or lapsing moves the offer on; roll modes."""

from __future__ import annotations

from datetime import time

from distribution_helpers import T, accept, awards, cop, make_board, of, refusals, submit, until
from offduty_core.lifecycle import Decline
from offduty_core.officers import CycleSchedule


def officers():
    # Seniority order (the list's first order): 1, 2, 3, 4
    return [cop("3", "2003-01-01"), cop("1", "2001-01-01"), cop("4", "2004-01-01"), cop("2", "2002-01-01")]


def board_with(roster=None, **params):
    return make_board(roster or officers(), method="sequencing", params={"response_minutes": 60, **params})


def decline(board, when, rid, badge, slot=0):
    return board.handle(Decline(at=T(when), request_id=rid, slot=slot, badge=badge))


def offers(board):
    return [(r.request_id, r.badge) for r in of(board.records, "Offered")]


def rotation(board):
    return board._shared[("rotation", "test-town", "default")].order()


def test_head_of_the_list_gets_the_offer_and_rolls_to_the_bottom_on_accept():
    board = board_with()
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    offer, = of(board.records, "Offered")
    assert (offer.badge, offer.deadline) == ("1", T("2027-03-01T09:00"))
    assert offer.basis == "first eligible on the 'default' rotation list (place 1)"
    accept(board, "2027-03-01T08:30", "R-1", "1")
    assert awards(board) == [("R-1", 0, "1")]
    assert rotation(board) == ["2", "3", "4", "1"]
    submit(board, "R-2", "2027-03-06T18:00", "2027-03-06T22:00", received="2027-03-01T08:40")
    assert offers(board)[-1] == ("R-2", "2")


def test_roll_accepted_a_decliner_keeps_their_place():
    board = board_with(roll="accepted")
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    decline(board, "2027-03-01T08:10", "R-1", "1")
    accept(board, "2027-03-01T08:20", "R-1", "2")
    assert offers(board) == [("R-1", "1"), ("R-1", "2")]
    assert rotation(board) == ["1", "3", "4", "2"]
    submit(board, "R-2", "2027-03-06T18:00", "2027-03-06T22:00", received="2027-03-01T08:30")
    assert offers(board)[-1] == ("R-2", "1")  # still at the head


def test_roll_offered_a_decliner_goes_to_the_bottom_too():
    board = board_with(roll="offered")
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    decline(board, "2027-03-01T08:10", "R-1", "1")
    accept(board, "2027-03-01T08:20", "R-1", "2")
    assert rotation(board) == ["3", "4", "1", "2"]


def test_a_lapsed_offer_moves_on_at_its_deadline():
    board = board_with(roll="offered")
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    assert board.next_wakeup() == T("2027-03-01T09:00")
    until(board, "2027-03-01T09:00")
    lapsed, = of(board.records, "Lapsed")
    assert lapsed.badge == "1"
    assert offers(board) == [("R-1", "1"), ("R-1", "2")]
    accept(board, "2027-03-01T09:30", "R-1", "1")  # too late, and not theirs any more
    assert refusals(board) == ["badge 1: R-1 slot 0 is offered in rotation order and it is offered to badge 2"]
    assert rotation(board)[-1] == "1"


def test_ineligible_officers_are_skipped_and_keep_their_place():
    day = T("2027-03-05T00:00").date()
    roster = officers()
    roster[1] = cop("1", "2001-01-01", schedule=CycleSchedule(pattern="5x8", shift_start=time(15), anchor=day))
    board = board_with(roster)
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    offer, = of(board.records, "Offered")
    assert offer.badge == "2" and "place 2" in offer.basis
    accept(board, "2027-03-01T08:05", "R-1", "2")
    assert rotation(board) == ["1", "3", "4", "2"]


def test_an_officer_refused_for_a_standing_reason_is_passed_over_unasked_at_the_next_offers():
    day = T("2027-03-05T00:00").date()
    roster = officers()
    roster[1] = cop("1", "2001-01-01", schedule=CycleSchedule(pattern="5x8", shift_start=time(15), anchor=day))
    board = board_with(roster, roll="offered")
    asked = []
    real = board.objection
    board.objection = lambda posting, officer: asked.append(officer.badge) or real(posting, officer)
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    decline(board, "2027-03-01T08:10", "R-1", "2")
    decline(board, "2027-03-01T08:20", "R-1", "3")
    assert offers(board) == [("R-1", "2"), ("R-1", "3"), ("R-1", "4")]
    assert asked.count("1") == 1  # on duty: asked at the first offer only
    # A booking is not a standing reason: an officer refused for one is asked again.
    submit(board, "R-2", "2027-03-06T18:00", "2027-03-06T22:00", received="2027-03-01T08:30")
    assert board.slot_state("R-2", 0).shift.fixed is not None  # the answers kept while it is open
    accept(board, "2027-03-01T08:40", "R-2", "2")
    assert board.slot_state("R-2", 0).shift.fixed is None  # and dropped once it is filled
    submit(board, "R-3", "2027-03-06T19:00", "2027-03-06T21:00", received="2027-03-01T08:50")
    asked.clear()
    decline(board, "2027-03-01T09:00", "R-3", offers(board)[-1][1])
    assert asked.count("2") == 1 and ("R-3", "2") not in offers(board)


def test_an_officer_holding_an_open_offer_is_not_offered_another_shift():
    board = board_with()
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    submit(board, "R-2", "2027-03-07T18:00", "2027-03-07T22:00")
    assert offers(board) == [("R-1", "1"), ("R-2", "2")]


def test_a_supervisor_slot_walks_only_the_supervisors():
    roster = officers() + [cop("S1", "2011-01-01", rank="supervisor"), cop("S2", "1999-01-01", rank="supervisor")]
    board = board_with(roster)
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00", positions={"supervisor": 1})
    assert offers(board) == [("R-1", "S2")]


def test_everyone_offered_then_released_or_left_waiting():
    board = board_with([cop("1"), cop("2")])
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    decline(board, "2027-03-01T08:01", "R-1", "1")
    decline(board, "2027-03-01T08:02", "R-1", "2")
    released, = of(board.records, "ReleasedToAll")
    assert released.reason == "every eligible officer on the 'default' rotation list was offered it"
    accept(board, "2027-03-01T10:00", "R-1", "2")  # first come, first served now
    assert awards(board) == [("R-1", 0, "2")]
    assert rotation(board)[-1] == "2"  # any award of a list's shift rolls the officer

    waiting = board_with([cop("1")], exhausted="wait")
    submit(waiting, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    decline(waiting, "2027-03-01T08:01", "R-1", "1")
    assert of(waiting.records, "ReleasedToAll") == []


def test_decline_without_an_offer_is_refused_and_offers_end_at_the_start():
    board = board_with()
    submit(board, "R-1", "2027-03-01T08:30", "2027-03-01T12:00")
    decline(board, "2027-03-01T08:05", "R-1", "4")
    assert refusals(board) == ["badge 4 holds no open offer of R-1 slot 0 to decline"]
    offer, = of(board.records, "Offered")
    assert offer.deadline == T("2027-03-01T08:30")  # never past the start
