"""West Valley City Police Department, Utah (published sheet: "West Valley City PD
off-duty rates").

Regular 57.00, Supervisor 68.40, Holiday 85.50, Emergency 85.50 (officer 50, 60, 75, 75; the
admin fee is 14 % of the share, 7.00 to 10.50 an hour); Vehicle 1.14 (1.00 to the city); a
2-hour minimum; a supervisor added for 5 or more officers; requests with less than 72 h
notice are accepted at the Emergency rate; thirteen listed holidays (New Year's Eve,
Christmas Eve, Pioneer Day among them); alcohol-focused and gambling businesses prohibited;
cancellation as Grantsville's with a 48 h window; an officer released early is paid, and the
vendor billed, the full shift.
"""

from __future__ import annotations

from offduty_core import hookimpl
from offduty_core.calendars import HolidayCalendar
from offduty_core.spec import (AgencySpec, Applies, CancellationPolicy, ChargeRule, Extra, FeeHours, NoticeRule,
                               NoticeTier, RateClass, ShareHours, SupervisorRule)

FEE = "0.14"

HOLIDAYS = (
    "new_years_eve", "new_years_day", "mlk_day", "presidents_day", "memorial_day", "independence_day",
    "labor_day", "veterans_day", "thanksgiving", "day_after_thanksgiving", "christmas_eve", "christmas_day",
    "pioneer_day",
)

SPEC = AgencySpec(
    name="west-valley-city-ut", title="West Valley City Police Department (UT)", timezone="America/Denver",
    subdivision="UT",
    rates=(
        RateClass(name="regular", label="Regular", total="57.00", share="50.00", published_fee=FEE),
        RateClass(name="supervisor", label="Supervisor", total="68.40", share="60.00", published_fee=FEE),
        RateClass(name="holiday", label="Holiday", total="85.50", share="75.00", published_fee=FEE),
        RateClass(name="emergency", label="Emergency", total="85.50", share="75.00", published_fee=FEE),
    ),
    extras=(Extra(name="vehicle", label="Vehicle", total="1.14", city_share="1.00", applies=Applies.VEHICLE,
                  published_fee=FEE),),
    holidays=HolidayCalendar(keys=HOLIDAYS, country="US", subdivision="UT"),
    minimum_hours=2,
    notice=NoticeRule(tiers=(NoticeTier(below=72, rate_class="emergency"),)),
    supervisor=SupervisorRule(officers_at_least=5),
    prohibited={
        "liquor_establishment": "no work where alcoholic beverages are the main focus of the business",
        "gambling": "no work for businesses of an illegal or gambling-based nature",
    },
    cancellation=CancellationPolicy(
        window=48,
        inside=ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM, fee_hours=FeeHours.FIRST_SCHEDULED,
                          label="greater of hours worked and the 2-hour minimum at the officer's share, "
                                "plus the admin fee on the first 24 scheduled hours"),
        outside=ChargeRule(share_hours=ShareHours.WORKED, fee_hours=FeeHours.FIRST_SCHEDULED,
                           label="admin fee on the first 24 scheduled hours"),
        early_release_full_shift=True,
    ),
)


@hookimpl
def offduty_agency() -> AgencySpec:
    return SPEC
