"""immediate-release: first eligible officer to accept wins; optional jobs-per-day cap."""

from __future__ import annotations

from datetime import time

import pytest

from distribution_helpers import T, accept, awards, cop, make_board, of, refusals, submit
from offduty_core.errors import InputError
from offduty_core.officers import CycleSchedule


def test_first_eligible_officer_to_accept_gets_it():
    on_duty = cop("5", schedule=CycleSchedule(pattern="5x8", shift_start=time(15), anchor=T("2027-03-01T00:00").date()))
    board = make_board([cop("1"), cop("2"), on_duty])
    submit(board, "R-1", "2027-03-03T18:00", "2027-03-03T22:00")
    accept(board, "2027-03-01T09:00", "R-1", "5")  # on duty 15:00-23:00 that day: refused, with the reason
    accept(board, "2027-03-01T09:05", "R-1", "2")
    accept(board, "2027-03-01T09:06", "R-1", "1")
    assert awards(board) == [("R-1", 0, "2")]
    assert refusals(board) == [
        "badge 5: on duty 2027-03-03 15:00-23:00 (5x8 from 2027-03-01 at 15:00), which overlaps the shift",
        "R-1 slot 0 is filled (to badge 2)"]
    award, = of(board.records, "Awarded")
    assert award.basis == "first eligible officer to accept" and award.method == "immediate-release"


def test_every_slot_of_a_request_goes_to_a_different_officer():
    board = make_board([cop("1"), cop("2"), cop("3")])
    submit(board, "R-1", "2027-03-03T18:00", "2027-03-03T22:00", n=2)
    accept(board, "2027-03-01T09:00", "R-1", "1", slot=0)
    accept(board, "2027-03-01T09:01", "R-1", "1", slot=1)  # overlaps their own slot 0
    accept(board, "2027-03-01T09:02", "R-1", "3", slot=1)
    assert awards(board) == [("R-1", 0, "1"), ("R-1", 1, "3")]
    assert refusals(board) == ["badge 1: already booked on R-1 slot 0 (2027-03-03 18:00-22:00), which overlaps"]


def test_jobs_per_day_cap():
    board = make_board([cop("1"), cop("2")], params={"jobs_per_day": 1})
    submit(board, "R-1", "2027-03-03T06:00", "2027-03-03T08:00")
    submit(board, "R-2", "2027-03-03T18:00", "2027-03-03T20:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    accept(board, "2027-03-01T09:01", "R-2", "1")
    accept(board, "2027-03-01T09:02", "R-2", "2")
    assert awards(board) == [("R-1", 0, "1"), ("R-2", 0, "2")]
    assert refusals(board) == ["badge 1: already has 1 job on 2027-03-03; the limit is 1 a day"]


def test_without_the_cap_the_same_officer_may_take_both():
    board = make_board([cop("1")])
    submit(board, "R-1", "2027-03-03T06:00", "2027-03-03T08:00")
    submit(board, "R-2", "2027-03-03T18:00", "2027-03-03T20:00")
    accept(board, "2027-03-01T09:00", "R-1", "1")
    accept(board, "2027-03-01T09:01", "R-2", "1")
    assert [b for _, _, b in awards(board)] == ["1", "1"]


@pytest.mark.parametrize("params,message", [
    ({"jobs_per_day": 0}, "distribution.params.jobs_per_day: 0 is not allowed; must be >= 1"),
    ({"jobs_per_day": 1.5}, "must be a whole number"),
    ({"job_per_day": 1}, "distribution.params.job_per_day: 1 is not allowed; unknown parameter of "
                         "immediate-release; its parameters are jobs_per_day"),
])
def test_parameters_are_validated_by_name(params, message):
    board = make_board([cop("1")], params=params)
    with pytest.raises(InputError) as info:
        submit(board, "R-1", "2027-03-03T06:00", "2027-03-03T08:00")
    assert message in str(info.value)
