"""seniority: a sign-up window; most senior applicant (seniority date, then badge number) at
the close; the others as back-ups in order; no applicant: released first come first served."""

from __future__ import annotations


from distribution_helpers import (T, TOWN, VILLE, accept, apply, awards, cop, make_board, of, refusals, submit,
                                  until)
from offduty_core.lifecycle import DropShift


def board_with(*officers, **params):
    return make_board(officers, method="seniority", params={"window_hours": 24, **params})


def test_most_senior_applicant_wins_at_the_close_not_the_first():
    board = board_with(cop("30", "2015-06-01"), cop("10", "2009-02-01"), cop("20", "2012-01-01"))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    for i, badge in enumerate(("30", "20", "10")):
        apply(board, f"2027-03-01T09:0{i}", "R-1", badge)
    assert awards(board) == []  # nothing before the window closes
    assert board.next_wakeup() == T("2027-03-02T08:00")  # 24 h after posting
    until(board, "2027-03-02T08:00")
    assert awards(board) == [("R-1", 0, "10")]
    award, = of(board.records, "Awarded")
    assert award.at == T("2027-03-02T08:00")
    assert award.basis == "most senior of 3 applicants (seniority date 2009-02-01)"
    assert board.jobs["R-1"].slots[0].posting.backups == ["20", "30"]


def test_ties_on_the_seniority_date_go_to_the_lower_badge_number():
    board = board_with(cop("10", "2010-01-01"), cop("9", "2010-01-01"), cop("100", "2010-01-01"))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    for badge in ("100", "10", "9"):
        apply(board, "2027-03-01T09:00", "R-1", badge)
    until(board, "2027-03-03T00:00")
    assert awards(board) == [("R-1", 0, "9")]


def test_back_ups_take_a_dropped_shift_in_order_without_a_new_window():
    board = board_with(cop("1", "2001-01-01"), cop("2", "2002-01-01"), cop("3", "2003-01-01"))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    submit(board, "R-2", "2027-03-05T12:00", "2027-03-05T16:00")
    for badge in ("3", "2", "1"):
        apply(board, "2027-03-01T09:00", "R-1", badge)
    until(board, "2027-03-02T09:00")
    # Back-up 2 wins R-2, which ends 2 h before R-1 starts (the minimum rest is 8 h).
    apply(board, "2027-03-02T09:00", "R-2", "2")
    until(board, "2027-03-03T09:01")
    assert awards(board) == [("R-1", 0, "1"), ("R-2", 0, "2")]
    board.handle(DropShift(at=T("2027-03-04T10:00"), request_id="R-1", slot=0, badge="1"))
    assert awards(board)[-1] == ("R-1", 0, "3")
    passed, = of(board.records, "BackupPassed")
    assert passed.badge == "2" and "rest after R-2 slot 0" in passed.reason
    last = of(board.records, "Awarded")[-1]
    assert last.basis == "back-up 2 of the dropped shift (seniority order)" and last.at == T("2027-03-04T10:00")
    # The officer who dropped it is barred from taking it back.
    assert board.jobs["R-1"].slots[0].shift.barred == {"1"}


def test_a_drop_with_no_back_up_left_reposts_with_a_new_window():
    board = board_with(cop("1", "2001-01-01"), cop("2", "2002-01-01"))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    apply(board, "2027-03-01T09:00", "R-1", "1")
    until(board, "2027-03-02T09:00")
    board.handle(DropShift(at=T("2027-03-03T10:00"), request_id="R-1", slot=0))
    repost, = of(board.records, "Reposted")
    assert repost.reason == "dropped by badge 1" and repost.barred == ("1",)
    apply(board, "2027-03-03T11:00", "R-1", "1")  # barred
    apply(board, "2027-03-03T11:00", "R-1", "2")
    until(board, "2027-03-04T10:00")
    assert awards(board) == [("R-1", 0, "1"), ("R-1", 0, "2")]
    assert refusals(board)[-1].startswith("badge 1: barred from R-1 slot 0")


def test_no_applicant_releases_first_come_first_served():
    board = board_with(cop("1", "2001-01-01"), cop("2", "2002-01-01"))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    until(board, "2027-03-02T08:00")
    released, = of(board.records, "ReleasedToAll")
    assert released.reason == "no applicant when the sign-up window closed"
    accept(board, "2027-03-02T10:00", "R-1", "2")  # first to accept, not the most senior
    assert awards(board) == [("R-1", 0, "2")]


def test_posted_too_close_to_the_start_is_released_at_once():
    board = board_with(cop("1"), close_before_start_hours=4)
    submit(board, "R-1", "2027-03-01T11:00", "2027-03-01T15:00", received="2027-03-01T08:00")
    released, = of(board.records, "ReleasedToAll")
    assert released.reason == "posted too close to the start for a seniority sign-up window"
    # The window is cut short to close 4 h before the start.
    board2 = board_with(cop("1"), close_before_start_hours=4)
    submit(board2, "R-1", "2027-03-01T20:00", "2027-03-01T22:00", received="2027-03-01T08:00")
    assert board2.next_wakeup() == T("2027-03-01T16:00")


def test_an_applicant_no_longer_eligible_at_the_close_is_passed_over():
    board = board_with(cop("1", "2001-01-01"), cop("2", "2002-01-01"))
    board.overrides[(TOWN, "traffic_control")] = board.overrides[(TOWN, "*")].__class__(method="immediate-release")
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    submit(board, "R-2", "2027-03-05T17:00", "2027-03-05T19:00", category="traffic_control")
    apply(board, "2027-03-01T09:00", "R-1", "1")
    apply(board, "2027-03-01T09:00", "R-1", "2")
    accept(board, "2027-03-01T10:00", "R-2", "1")  # now overlaps R-1
    until(board, "2027-03-02T09:00")
    assert awards(board) == [("R-2", 0, "1"), ("R-1", 0, "2")]
    assert refusals(board) == ["passed over at the window close: badge 1: already booked on R-2 slot 0 "
                               "(2027-03-05 17:00-19:00), which overlaps"]


def test_applying_twice_or_to_a_closed_window_is_refused():
    board = board_with(cop("1"), cop("2"))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    apply(board, "2027-03-01T09:00", "R-1", "1")
    apply(board, "2027-03-01T09:10", "R-1", "1")
    apply(board, "2027-03-01T09:20", "R-1", "999")
    until(board, "2027-03-02T09:00")
    apply(board, "2027-03-02T09:30", "R-1", "2")
    assert refusals(board) == ["badge 1 has already applied for R-1 slot 0", "badge 999 is not on the roster",
                               "R-1 slot 0 is filled (to badge 1)"]
    assert [r.badge for r in of(board.records, "Applied")] == ["1"]


def test_group_first_then_back_up_agency_and_own_officers_rank_first():
    board = make_board([cop("1", "2015-01-01"), cop("V1", "1990-01-01", agency=VILLE)], method="seniority",
                       params={"window_hours": 48}, backup_agencies=[VILLE], release_after_hours=12)
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    apply(board, "2027-03-01T09:00", "R-1", "V1")
    assert refusals(board) == ["badge V1: R-1 slot 0 is open only to test-town officers until 2027-03-01T20:00-06:00"]
    until(board, "2027-03-01T20:00")
    opened, = of(board.records, "StageOpened")
    assert opened.audience == (TOWN, VILLE)
    apply(board, "2027-03-01T21:00", "R-1", "V1")
    apply(board, "2027-03-01T21:00", "R-1", "1")
    until(board, "2027-03-03T09:00")
    # V1 is far more senior, but the agency's own officer applied in the first stage's group.
    assert awards(board) == [("R-1", 0, "1")]
    assert board.jobs["R-1"].slots[0].posting.backups == ["V1"]


def test_officers_of_other_agencies_are_not_in_the_audience():
    board = board_with(cop("1"), cop("V1", agency=VILLE))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    apply(board, "2027-03-01T09:00", "R-1", "V1")
    assert refusals(board) == ["badge V1: test-ville officers are not in the audience of R-1 slot 0 "
                               "(posted to test-town)"]


def test_a_changed_officer_is_ranked_by_their_new_seniority_date():
    # Seniority keys are kept per officer across windows; a roster change (a corrected
    # seniority date is a new Officer) ranks by the new date at the next close.
    from offduty_core.officers import Roster

    board = board_with(cop("10", "2009-02-01"), cop("20", "2012-01-01"))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    for badge in ("10", "20"):
        apply(board, "2027-03-01T09:00", "R-1", badge)
    until(board, "2027-03-02T08:00")
    board.replace_roster(Roster([cop("10", "2009-02-01"), cop("20", "2001-01-01")]))
    submit(board, "R-2", "2027-03-06T18:00", "2027-03-06T22:00", at="2027-03-02T09:00")
    for badge in ("10", "20"):
        apply(board, "2027-03-02T09:00", "R-2", badge)
    until(board, "2027-03-03T09:00")
    assert awards(board) == [("R-1", 0, "10"), ("R-2", 0, "20")]
