"""fairness: a sign-up window; the applicant with the fewest off-duty hours in the look-back
(year to date, rolling 30 days, job count) wins; ties by seniority."""

from __future__ import annotations

from datetime import date

from distribution_helpers import accept, apply, awards, cop, make_board, of, submit, until
from offduty_core.officers import OffDutyRecord


def worked(*entries: tuple[str, str]) -> tuple[OffDutyRecord, ...]:
    return tuple(OffDutyRecord(day=date.fromisoformat(d), hours=h) for d, h in entries)


# A: 12 h in January only; B: 6 h last week (3 jobs); C: 8 h in one job last week.
ROSTER = [
    cop("A", "2001-01-01", history=worked(("2027-01-10", "12"))),
    cop("B", "2009-01-01", history=worked(("2027-02-24", "2"), ("2027-02-25", "2"), ("2027-02-26", "2"))),
    cop("C", "2005-01-01", history=worked(("2027-02-25", "8"))),
]


def winner(lookback: str) -> tuple[str, str]:
    board = make_board(ROSTER, method="fairness", params={"lookback": lookback})
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    for badge in "ABC":
        apply(board, "2027-03-01T09:00", "R-1", badge)
    until(board, "2027-03-02T09:00")
    award, = of(board.records, "Awarded")
    return award.badge, award.basis


def test_year_to_date_hours():
    assert winner("year_to_date") == ("B", "fewest off-duty hours of 3 applicants (6 h this year)")


def test_rolling_30_days_forgets_january():
    assert winner("rolling_30_days") == ("A", "fewest off-duty hours of 3 applicants (0 h in the last 30 days)")


def test_job_count():
    badge, basis = winner("job_count")
    assert badge == "A" and basis.endswith("(1 job this year)")  # A and C have 1 job; A is more senior


def test_ties_go_to_seniority_and_hours_booked_since_count():
    board = make_board([cop("X", "2010-01-01"), cop("Y", "2003-01-01"), cop("Z", "2001-01-01")], method="fairness")
    board.overrides[("test-town", "traffic_control")] = type(board.overrides[("test-town", "*")])()
    submit(board, "T-1", "2027-03-02T06:00", "2027-03-02T08:00", category="traffic_control")
    accept(board, "2027-03-01T08:30", "T-1", "Z")  # Z now has 2 h this year
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00", received="2027-03-01T09:00")
    for badge in "XYZ":
        apply(board, "2027-03-01T10:00", "R-1", badge)
    until(board, "2027-03-03T00:00")
    assert awards(board) == [("T-1", 0, "Z"), ("R-1", 0, "Y")]  # X and Y tie at 0 h: Y is more senior
    assert board.jobs["R-1"].slots[0].posting.backups == ["X", "Z"]
