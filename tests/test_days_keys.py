"""Week and month keys of integer instants from an agency's day table agree with the same
keys computed through aware datetimes (local midnights, DST changes, week starts)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from offduty_core.days import EPOCH, DayTable, epoch, month_key, week_key

DENVER = ZoneInfo("America/Denver")
TABLE = DayTable(DENVER, None)
START = epoch(datetime(2026, 12, 1, tzinfo=DENVER))


def test_keys_name_weeks_from_their_start_day_and_months_in_order():
    monday = date(2027, 3, 1)  # a Monday
    assert week_key(monday.toordinal(), 0) == week_key((monday + timedelta(days=6)).toordinal(), 0)
    assert week_key(monday.toordinal(), 0) + 1 == week_key((monday + timedelta(days=7)).toordinal(), 0)
    assert week_key(monday.toordinal(), 6) == week_key((monday - timedelta(days=1)).toordinal(), 6)  # Sunday weeks
    assert month_key(date(2027, 12, 31)) + 1 == month_key(date(2028, 1, 1))


def test_an_instant_just_before_local_midnight_is_in_the_day_before():
    midnight = epoch(datetime(2027, 3, 15, tzinfo=DENVER))  # a Monday, after the DST change
    assert TABLE.day_ordinal(midnight) == date(2027, 3, 15).toordinal()
    assert TABLE.day_ordinal(midnight - 1) == date(2027, 3, 14).toordinal()
    assert TABLE.week_of(midnight - 1, 0) + 1 == TABLE.week_of(midnight, 0)
    assert TABLE.month_of(epoch(datetime(2027, 4, 1, tzinfo=DENVER)) - 1) == month_key(date(2027, 3, 31))


@settings(max_examples=300, deadline=None)
@given(offset=st.integers(0, 2 * 366 * 86400), week_start=st.integers(0, 6))
def test_keys_of_integer_instants_match_the_local_calendar(offset, week_start):
    instant = START + offset
    local = (EPOCH + timedelta(seconds=instant)).astimezone(DENVER).date()
    assert TABLE.day_ordinal(instant) == local.toordinal()
    assert TABLE.week_of(instant, week_start) == week_key(local.toordinal(), week_start)
    assert TABLE.month_of(instant) == month_key(local)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-400 * 86400, max_value=800 * 86400), min_size=1, max_size=20))
def test_a_table_that_keeps_the_last_year_it_looked_in_locates_as_a_fresh_one(offsets):
    """``locate`` keeps the year it last used; instants in any order, across years and around
    New Year's midnight in the agency's zone, land on the day a fresh table finds."""
    reused = DayTable(DENVER, None)
    for offset in offsets:
        instant = START + offset
        fresh = DayTable(DENVER, None)
        (a, i), (b, j) = reused.locate(instant), fresh.locate(instant)
        assert (a.first, i) == (b.first, j)
        assert a.midnights[i] <= instant < a.midnights[i + 1]
        new_year = epoch(datetime(2027, 1, 1, tzinfo=DENVER))
        for near in (new_year - 1, new_year, new_year + 1):
            assert reused.local_date(near) == datetime.fromtimestamp(near, DENVER).date()


@settings(max_examples=300, deadline=None)
@given(offset=st.integers(0, 2 * 366 * 86400), length=st.integers(1, 3 * 86400))
def test_pieces_cut_an_interval_at_each_local_midnight(offset, length):
    """A table without rate splits cuts only at local midnights (one piece when the interval
    stays inside a day, the common shift), with each piece on its local date."""
    start = START + offset
    end = start + length
    pieces = DayTable(DENVER, None).pieces(start, end)
    assert pieces[0].start == start and pieces[-1].end == end and pieces[0].offset == 0
    for before, after in zip(pieces, pieces[1:]):
        assert before.end == after.start and after.offset == after.start - start
        assert TABLE.local_date(after.start) == TABLE.local_date(after.start - 1) + timedelta(days=1)
    for piece in pieces:
        assert piece.day == TABLE.local_date(piece.start) == TABLE.local_date(piece.end - 1)
        assert piece.holiday is None
