"""Grantsville Police Department, Utah (seed: ``grantsville-ut-rates.txt``).

Regular 70.00 an hour (officer 63.50, admin fee 6.50); a 2-hour minimum; requests need 24 h
notice (less is refused); no work at labour-dispute sites; cancelling or reducing after
approval costs the admin fee on the first 24 scheduled hours, and inside 48 h also the
greater of hours worked and the minimum at the officer's share.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from offduty_core import hookimpl
from offduty_core.model import AgencyInfo
from offduty_core.rules import CancellationPolicy, ChargeRule, FeeHours, NoticeRule, RateClass, RateTable, ShareHours


@hookimpl
def offduty_agency() -> AgencyInfo:
    return AgencyInfo(name="grantsville-ut", title="Grantsville Police Department (UT)",
                      timezone="America/Denver", subdivision="UT")


@hookimpl
def offduty_rate_table(agency: AgencyInfo) -> RateTable:
    return RateTable(classes=(RateClass(name="regular", label="Regular", total="70.00", share="63.50"),))


@hookimpl
def offduty_minimum_hours(agency: AgencyInfo, request, role: str) -> Decimal:
    return Decimal(2)


@hookimpl
def offduty_notice_rule(agency: AgencyInfo) -> NoticeRule:
    return NoticeRule(refuse_below=timedelta(hours=24))


@hookimpl
def offduty_prohibited_categories(agency: AgencyInfo) -> dict[str, str]:
    return {"labor_dispute": "no off-duty work at the site of a strike, lockout, picket or other labour dispute"}


@hookimpl
def offduty_cancellation_policy(agency: AgencyInfo) -> CancellationPolicy:
    return CancellationPolicy(
        window=timedelta(hours=48),
        inside=ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM, fee_hours=FeeHours.FIRST_SCHEDULED,
                          label="greater of hours worked and the 2-hour minimum at the officer's share, "
                                "plus the admin fee on the first 24 scheduled hours"),
        outside=ChargeRule(share_hours=ShareHours.WORKED, fee_hours=FeeHours.FIRST_SCHEDULED,
                           label="admin fee on the first 24 scheduled hours"),
    )
