"""Lynnwood Police Department, Washington (published sheet: "Lynnwood PD extra-duty rates").

Total hourly rates Regular 170.87 and Holiday 282.22; a 4-hour minimum per request; twelve
listed holidays (including the Day After Thanksgiving and Christmas Eve, which are not in
Washington's public calendar); a 5-day cancellation window charging 4 hours at the total
rate; cancellations only in writing quoting the request number; a start-time change the
officer cannot work cancels and reposts the slot; early release bills the full shift.

ASSUMPTION: the sheet publishes only totals.  The officer's share is a parameter of this
plugin (:data:`ASSUMED_OFFICER_SHARE`), set here as the total less a 10 % fee on the share
(total / 1.10, to the cent); the self-check marks it as assumed.
"""

from __future__ import annotations

from decimal import Decimal

from offduty_core import hookimpl
from offduty_core.calendars import HolidayCalendar
from offduty_core.spec import (AgencySpec, CancellationPolicy, ChangeHandling, ChargeRule, FeeHours, RateClass,
                               ShareHours)

#: ASSUMPTION (not published by Lynnwood): the officer's share of each total hourly rate.
ASSUMED_OFFICER_SHARE: dict[str, Decimal] = {"regular": Decimal("155.34"), "holiday": Decimal("256.56")}

HOLIDAYS = (
    "new_years_day", "mlk_day", "presidents_day", "memorial_day", "juneteenth", "independence_day",
    "labor_day", "veterans_day", "thanksgiving", "day_after_thanksgiving", "christmas_eve", "christmas_day",
)

SPEC = AgencySpec(
    name="lynnwood-wa", title="Lynnwood Police Department (WA)", timezone="America/Los_Angeles", subdivision="WA",
    rates=(
        RateClass(name="regular", label="Regular", total="170.87", share=ASSUMED_OFFICER_SHARE["regular"],
                  assumed=True),
        RateClass(name="holiday", label="Holiday", total="282.22", share=ASSUMED_OFFICER_SHARE["holiday"],
                  assumed=True),
    ),
    holidays=HolidayCalendar(keys=HOLIDAYS, country="US", subdivision="WA"),
    minimum_hours=4,
    cancellation=CancellationPolicy(
        window=5 * 24,
        # Inside 5 days: the 4-hour minimum at the total rate (officer share + admin fee on
        # those hours); the officer is paid the same hours.
        inside=ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM, fee_hours=FeeHours.SAME,
                          label="4-hour minimum at the total rate"),
        outside=ChargeRule(label="no charge outside 5 days"),
        written_channels={"email", "portal"},
        require_request_id=True,
        early_release_full_shift=True,
        unaccepted_change=ChangeHandling.CANCEL_AND_REPOST,
    ),
)


@hookimpl
def offduty_agency() -> AgencySpec:
    return SPEC
