"""Officers, on-duty schedules, roster CSV (every error names line, column, value), generation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from offduty_core.errors import InputError
from offduty_core.officers import (CycleSchedule, DateSchedule, Officer, OffDutyRecord, Rank, Roster, WeeklySchedule,
                                   badge_key, generate_roster)
from offduty_core.roster_csv import RosterError, check_roster, load_roster, parse_roster, roster_to_csv

DENVER = ZoneInfo("America/Denver")
PHOENIX = ZoneInfo("America/Phoenix")
MON = date(2027, 3, 1)  # a Monday


def days_on(schedule, first: date, n: int) -> list[int]:
    return [int(schedule.works_on(first + timedelta(days=i))) for i in range(n)]


def test_five_eight_is_five_on_two_off_from_the_anchor():
    s = CycleSchedule(pattern="5x8", shift_start=time(7), anchor=MON)
    assert days_on(s, MON, 14) == [1, 1, 1, 1, 1, 0, 0] * 2
    assert days_on(s, MON - timedelta(days=7), 7) == [1, 1, 1, 1, 1, 0, 0]  # before the anchor too
    assert s.shift_hours == 8
    (on, off), = s.on_duty(MON, MON, DENVER)
    assert on == datetime(2027, 3, 1, 7, tzinfo=DENVER) and off - on == timedelta(hours=8)


def test_four_ten_and_pitman_cycles():
    assert days_on(CycleSchedule(pattern="4x10", shift_start=time(6), anchor=MON), MON, 7) == [1, 1, 1, 1, 0, 0, 0]
    pitman = CycleSchedule(pattern="pitman", shift_start=time(18), anchor=MON)
    assert days_on(pitman, MON, 14) == [1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0]
    assert sum(days_on(pitman, MON, 28)) == 14  # 84 hours a fortnight
    (on, off), = pitman.on_duty(MON, MON, PHOENIX)
    assert off == datetime(2027, 3, 2, 6, tzinfo=PHOENIX)  # a night shift runs past midnight


def test_on_duty_shifts_are_real_hours_across_daylight_saving():
    night = CycleSchedule(pattern="5x8", shift_start=time(23), anchor=date(2027, 11, 6))  # fall back 7 Nov
    (on, off), = night.on_duty(date(2027, 11, 6), date(2027, 11, 6), DENVER)
    assert (off.astimezone(timezone.utc) - on.astimezone(timezone.utc)) == timedelta(hours=8)
    assert off.astimezone(DENVER).hour == 6  # 8 real hours end at 06:00 after the repeated hour


def test_fixed_days_off_and_explicit_dates():
    weekly = WeeklySchedule(days_off={5, 6}, shift_start=time(8), shift_hours="10")
    assert days_on(weekly, MON, 7) == [1, 1, 1, 1, 1, 0, 0]
    assert weekly.length == timedelta(hours=10)
    dated = DateSchedule(dates=[date(2027, 3, 3)], shift_start=time(9))
    assert [d.date() for d, _ in dated.on_duty(MON, MON + timedelta(days=6), DENVER)] == [date(2027, 3, 3)]
    with pytest.raises(InputError, match="days_off"):
        WeeklySchedule(days_off=set(range(7)), shift_start=time(8))


def test_seniority_orders_by_date_then_badge_number():
    a = Officer(badge="10", agency="x", seniority_date=date(2010, 1, 1))
    b = Officer(badge="9", agency="x", seniority_date=date(2010, 1, 1))
    c = Officer(badge="200", agency="x", seniority_date=date(2005, 6, 1))
    assert [o.badge for o in sorted([a, b, c], key=lambda o: o.seniority)] == ["200", "9", "10"]
    assert badge_key("9") < badge_key("10") < badge_key("L-1")


def test_roster_pools_are_indexed_and_in_seniority_order():
    officers = [
        Officer(badge="1", agency="a", seniority_date=date(2015, 1, 1)),
        Officer(badge="2", agency="a", rank="supervisor", seniority_date=date(2001, 1, 1), qualifications={"sso"}),
        Officer(badge="3", agency="a", seniority_date=date(2010, 1, 1), qualifications={"sso"}),
        Officer(badge="4", agency="a", seniority_date=date(2000, 1, 1), approved=False),
        Officer(badge="5", agency="b", seniority_date=date(1999, 1, 1)),
    ]
    roster = Roster(officers)
    assert [o.badge for o in roster.pool("a")] == ["2", "3", "1"]  # the unapproved one is left out
    assert [o.badge for o in roster.pool("a", frozenset({Rank.SUPERVISOR}))] == ["2"]
    assert [o.badge for o in roster.pool("a", None, frozenset({"sso"}))] == ["2", "3"]
    assert roster.pool("a") is roster.pool("a")  # built once
    assert roster.agencies == ("a", "b") and "5" in roster and len(roster) == 5
    with pytest.raises(InputError, match="unique"):
        Roster(officers + [officers[0]])


GOOD = """badge,agency,seniority_date,rank,qualifications,approved,active,schedule,shift_start,shift_hours,anchor,days_off,duty_dates,history,name
117,chandler-az,2012-05-01,officer,sso,yes,yes,5x8,07:00,,2027-03-01,,,2027-01-05:4;2027-02-10:8.5,Pat Doe
118,chandler-az,2009-01-15,sergeant,,yes,yes,pitman,18:00,,2027-03-02,,,,
119,chandler-az,2019-11-30,officer,sso;motor,no,yes,days_off,08:00,10,,sat;sun,,,
120,west-valley-city-ut,2016-02-29,,,,,dates,09:00,,,,2027-03-03;2027-03-04,,
121,west-valley-city-ut,2020-07-01,officer,,yes,no,,,,,,,,
"""


def test_roster_csv_reads_every_column():
    roster = parse_roster(GOOD, "roster.csv", agencies=["chandler-az", "west-valley-city-ut"])
    o = roster.get("117")
    assert o.qualifications == {"sso"} and o.name == "Pat Doe" and o.rank is Rank.OFFICER
    assert o.schedule == CycleSchedule(pattern="5x8", shift_start=time(7), anchor=MON)
    assert o.history == (OffDutyRecord(day=date(2027, 1, 5), hours="4"), OffDutyRecord(day=date(2027, 2, 10), hours="8.5"))
    assert roster.get("118").rank is Rank.SUPERVISOR and roster.get("118").schedule.shift_hours == 12
    third = roster.get("119")
    assert not third.approved and third.qualifications == {"sso", "motor"}
    assert third.schedule == WeeklySchedule(days_off={5, 6}, shift_start=time(8), shift_hours=Decimal(10))
    assert roster.get("120").schedule.dates == {date(2027, 3, 3), date(2027, 3, 4)}
    assert roster.get("121").schedule is None and not roster.get("121").active


def test_roster_csv_round_trips():
    roster = parse_roster(GOOD)
    again = parse_roster(roster_to_csv(roster))
    assert again.officers == roster.officers


HEADER = "badge,agency,seniority_date,rank,schedule,shift_start,anchor,days_off,approved\n"


@pytest.mark.parametrize("row,message", [
    ("7,chandler-az,2019-13-01,officer,,,,,", "roster.csv line 3, seniority_date: '2019-13-01' is not a date (YYYY-MM-DD)"),
    ("7,chandler-az,2019-01-01,captain,,,,,", "roster.csv line 3, rank: 'captain' must be officer or supervisor"),
    ("7,chandler-az,2019-01-01,officer,6x9,07:00,,,", "roster.csv line 3, schedule: '6x9' is not a schedule pattern"),
    ("7,chandler-az,2019-01-01,officer,5x8,07:00,,,", "roster.csv line 3, anchor: '' is required for a 5x8 schedule"),
    ("7,chandler-az,2019-01-01,officer,5x8,7am,2027-03-01,,", "roster.csv line 3, shift_start: '7am' is not a time (HH:MM"),
    ("7,chandler-az,2019-01-01,officer,days_off,07:00,,funday,", "roster.csv line 3, days_off: 'funday'"),
    ("7,chandler-az,2019-01-01,officer,,,,,maybe", "roster.csv line 3, approved: 'maybe' must be yes or no"),
    ("7,chandler-az,2019-01-01,officer,,07:00,,,", "roster.csv line 3, shift_start: '07:00' is given but the schedule column is empty"),
    (",chandler-az,2019-01-01,officer,,,,,", "roster.csv line 3, badge: '' is required"),
    ("7,springfield-il,2019-01-01,officer,,,,,", "roster.csv line 3, agency: 'springfield-il' is not an installed agency"),
    ("1,chandler-az,2019-01-01,officer,,,,,", "roster.csv line 3, badge: '1' is already used on line 2"),
    ("7,chandler-az,2019-01-01,officer,,,,,,extra", "roster.csv line 3: 10 values for 9 columns"),
])
def test_roster_csv_errors_name_line_column_and_value(row, message):
    text = HEADER + "1,chandler-az,2010-01-01,officer,,,,,\n" + row + "\n"
    officers, errors = check_roster(text, "roster.csv", agencies=["chandler-az"])
    assert len(errors) == 1, errors
    assert errors[0].startswith(message), errors[0]
    with pytest.raises(RosterError) as info:
        parse_roster(text, "roster.csv", agencies=["chandler-az"])
    assert str(info.value).startswith(message)


def test_roster_csv_header_problems_and_every_bad_line_is_listed():
    _, errors = check_roster("badge,agency,senority_date\n1,a,2020-01-01\n")
    assert errors == [
        "roster.csv line 1: unknown column 'senority_date'; columns are badge, agency, seniority_date, rank, "
        "qualifications, approved, active, schedule, shift_start, shift_hours, anchor, days_off, duty_dates, "
        "history, name",
        "roster.csv line 1: missing column 'seniority_date' (required: badge, agency, seniority_date)"]
    _, errors = check_roster("")
    assert "empty" in errors[0]
    text = HEADER + "1,a,2019-02-30,,,,,,\n2,a,2019-01-01,,,,,,\n3,a,2019-01-01,,,,,,nope\n"
    _, errors = check_roster(text)
    assert [e.split(",")[0] for e in errors] == ["roster.csv line 2", "roster.csv line 4"]
    with pytest.raises(RosterError, match=r"\(and 1 more problem\)"):
        parse_roster(text)


def test_load_roster_from_a_file(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")  # a spreadsheet's byte-order mark is fine
    assert len(load_roster(str(path))) == 5
    with pytest.raises(InputError, match="cannot be read"):
        load_roster(str(tmp_path / "missing.csv"))


def test_generated_rosters_are_deterministic_and_plausible():
    a = generate_roster(400, seed=7, agencies={"x": 3, "y": 1})
    b = generate_roster(400, seed=7, agencies={"x": 3, "y": 1})
    c = generate_roster(400, seed=8, agencies={"x": 3, "y": 1})
    assert a.officers == b.officers
    assert a.officers != c.officers
    share_x = sum(o.agency == "x" for o in a) / 400
    assert 0.65 < share_x < 0.85
    assert 0.05 < sum(o.rank is Rank.SUPERVISOR for o in a) / 400 < 0.2
    assert 0.05 < sum("sso" in o.qualifications for o in a) / 400 < 0.16
    assert {type(o.schedule).__name__ for o in a} == {"CycleSchedule", "WeeklySchedule", "NoneType"}
    assert len({o.badge for o in a}) == 400
    # A generated roster is a valid roster file.
    assert parse_roster(roster_to_csv(a)).officers == a.officers


def test_a_semicolon_separated_sheet_gets_a_helpful_error():
    _, errors = check_roster("badge;agency;seniority_date\n1;a;2010-01-01\n")
    assert errors == ["roster.csv line 1: the columns are separated by semicolons; separate them with commas "
                      "(save the sheet as CSV, comma-delimited)"]


def test_duty_starts_over_a_run_of_days_are_each_days_duty_start():
    first, last = date(2027, 3, 1).toordinal(), date(2027, 4, 30).toordinal()  # across DST
    for schedule in (CycleSchedule(pattern="pitman", shift_start=time(18), anchor=date(2027, 1, 9)),
                     CycleSchedule(pattern="4x10", shift_start=time(2, 30), anchor=date(2027, 1, 5)),
                     WeeklySchedule(days_off={5, 6}, shift_start=time(8)),
                     DateSchedule(dates={date(2027, 3, 14), date(2027, 4, 2)}, shift_start=time(2))):
        expected = [a for a in (schedule.duty_start(d, "America/Denver") for d in range(first, last + 1))
                    if a is not None]
        assert schedule.duty_starts(first, last, "America/Denver") == expected
