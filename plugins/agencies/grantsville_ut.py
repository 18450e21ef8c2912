"""Grantsville Police Department, Utah (published sheet: "Grantsville PD off-duty rates").

Regular 70.00 an hour (officer 63.50, admin fee 6.50); a 2-hour minimum; requests need 24 h
notice (less is refused); no work at labour-dispute sites; cancelling or reducing after
approval costs the admin fee on the first 24 scheduled hours, and inside 48 h also the
greater of hours worked and the minimum at the officer's share.
"""

from __future__ import annotations

from offduty_core import hookimpl
from offduty_core.spec import AgencySpec, CancellationPolicy, ChargeRule, FeeHours, NoticeRule, RateClass, ShareHours

SPEC = AgencySpec(
    name="grantsville-ut", title="Grantsville Police Department (UT)", timezone="America/Denver", subdivision="UT",
    rates=(RateClass(name="regular", label="Regular", total="70.00", share="63.50"),),
    minimum_hours=2,
    notice=NoticeRule(refuse_below=24),
    prohibited={"labor_dispute": "no off-duty work at the site of a strike, lockout, picket or other labour dispute"},
    cancellation=CancellationPolicy(
        window=48,
        inside=ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM, fee_hours=FeeHours.FIRST_SCHEDULED,
                          label="greater of hours worked and the 2-hour minimum at the officer's share, "
                                "plus the admin fee on the first 24 scheduled hours"),
        outside=ChargeRule(share_hours=ShareHours.WORKED, fee_hours=FeeHours.FIRST_SCHEDULED,
                           label="admin fee on the first 24 scheduled hours"),
    ),
)


@hookimpl
def offduty_agency() -> AgencySpec:
    return SPEC
