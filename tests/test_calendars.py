"""Holiday calendars: agency lists resolved with the holidays package on actual dates."""

from __future__ import annotations

from datetime import date

import pytest

from offduty_core.calendars import HolidayCalendar
from offduty_core.errors import InputError
from offduty_core.plugins import Registry, get_plugin_manager

REGISTRY = Registry(get_plugin_manager())  # the seed agencies arrive through their entry points


def test_lynnwood_has_its_twelve_days_including_ones_not_in_washingtons_calendar():
    days = REGISTRY.rules("lynnwood-wa").holidays.dates(2027)
    assert len(days) == 12
    assert days[date(2027, 11, 26)] == "Day After Thanksgiving"
    assert days[date(2027, 12, 24)] == "Christmas Eve"
    assert days[date(2027, 6, 19)] == "Juneteenth"
    assert date(2027, 7, 5) not in days  # the observed Monday is not a holiday: July 4 is


def test_west_valley_city_has_new_years_eve_and_pioneer_day_but_not_juneteenth():
    days = REGISTRY.rules("west-valley-city-ut").holidays.dates(2027)
    assert len(days) == 13
    assert days[date(2027, 12, 31)] == "New Year's Eve"
    assert days[date(2027, 7, 24)] == "Pioneer Day"
    assert date(2027, 6, 19) not in days


@pytest.mark.parametrize("year, thanksgiving", [(2026, date(2026, 11, 26)), (2027, date(2027, 11, 25)),
                                                (2028, date(2028, 11, 23))])
def test_day_after_thanksgiving_follows_thanksgiving(year, thanksgiving):
    cal = HolidayCalendar(keys=("thanksgiving", "day_after_thanksgiving"), subdivision="WA")
    assert sorted(cal.dates(year)) == [thanksgiving, date(year, 11, thanksgiving.day + 1)]


def test_any_holiday_name_the_package_knows_can_be_listed():
    cal = HolidayCalendar(keys=("Good Friday", "Cesar Chavez Day"), subdivision="CA")
    assert cal.dates(2027) == {date(2027, 3, 26): "Good Friday", date(2027, 3, 31): "Cesar Chavez Day"}
    assert cal.name_on(date(2027, 3, 26)) == "Good Friday"


def test_an_unknown_name_is_refused_with_the_names_that_exist():
    cal = HolidayCalendar(keys=("Festivus",), subdivision="CA")
    with pytest.raises(InputError, match="holidays: 'Festivus'.*no such holiday for US-CA in 2027.*Good Friday"):
        cal.dates(2027)


def test_extra_dates_and_empty_keys():
    cal = HolidayCalendar(keys=(), extra_dates=((date(2027, 8, 1), "Founders' Day"),))
    assert cal.dates(2027) == {date(2027, 8, 1): "Founders' Day"}
    assert cal.dates(2028) == {}
    with pytest.raises(InputError, match="holidays"):
        HolidayCalendar(keys=("",))


def test_recurring_dates_come_back_every_year():
    cal = HolidayCalendar(recurring={"12-26": "Boxing Day", "02-29": "Leap Day"})
    assert cal.dates(2027) == {date(2027, 12, 26): "Boxing Day"}  # no 29 February in 2027
    assert cal.dates(2028) == {date(2028, 2, 29): "Leap Day", date(2028, 12, 26): "Boxing Day"}
    with pytest.raises(InputError, match="holidays.recurring: '26-12'"):
        HolidayCalendar(recurring={"26-12": "Boxing Day"})
    with pytest.raises(InputError, match="holidays.recurring.12-26"):
        HolidayCalendar(recurring={"12-26": " "})


def test_observed_adds_the_nearest_weekday_of_a_weekend_holiday():
    # 2027: July 4 is a Sunday (observed Monday July 5); Christmas a Saturday (observed Friday
    # Dec 24); New Year's Day 2028 a Saturday (observed Friday Dec 31, 2027).
    cal = HolidayCalendar(keys=("independence_day", "christmas_day", "new_years_day"), observed=True)
    days = cal.dates(2027)
    assert days[date(2027, 7, 5)] == "Independence Day (observed)"
    assert days[date(2027, 12, 24)] == "Christmas Day (observed)"
    assert days[date(2027, 12, 31)] == "New Year's Day (observed)"
    assert days[date(2027, 7, 4)] == "Independence Day"  # the actual date still counts
    plain = HolidayCalendar(keys=("independence_day",))
    assert date(2027, 7, 5) not in plain.dates(2027)
