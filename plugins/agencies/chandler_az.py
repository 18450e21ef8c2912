"""Chandler Police Department, Arizona (published sheet: "Chandler PD off-duty rates").

Regular 83.28, Supervisor 108.62 (sergeant and above), Scribe 66.65, each published as the
officer's rate + 11 %; Vehicle 6.66 (6.00 to the city) and City Workers' Comp 2.78 (2.50 to
the city) per officer hour; a 2-hour minimum; a supervisor added for 4 or more officers;
four prohibited kinds of work; inside 24 h a cancellation costs the greater of hours worked
and the minimum at the officer's share plus the 11 % fee on the first 24 scheduled hours,
and the officer is paid at least 3 hours; the vendor is alerted when a shift is unfilled
24 h before its start.  Arizona keeps no daylight saving (America/Phoenix).

The sheet's Scribe line says 60.05 + 11 % = 66.65, but 60.05 x 1.11 = 66.6555 (66.66): the
vendor is billed the published 66.65 and ``offduty check-agency chandler-az`` reports the cent.
"""

from __future__ import annotations

from offduty_core import hookimpl
from offduty_core.spec import (AgencySpec, Applies, CancellationPolicy, ChargeRule, Extra, FeeHours, RateClass,
                               ShareHours, SupervisorRule)

FEE = "0.11"

SPEC = AgencySpec(
    name="chandler-az", title="Chandler Police Department (AZ)", timezone="America/Phoenix", subdivision="AZ",
    rates=(
        RateClass(name="regular", label="Regular", total="83.28", share="75.03", published_fee=FEE),
        RateClass(name="supervisor", label="Supervisor (Sgt. and above)", total="108.62", share="97.86",
                  published_fee=FEE),
        RateClass(name="scribe", label="Scribe", total="66.65", share="60.05", published_fee=FEE),
    ),
    extras=(
        Extra(name="vehicle", label="Vehicle", total="6.66", city_share="6.00", applies=Applies.VEHICLE,
              published_fee=FEE),
        Extra(name="workers_comp", label="City Workers' Comp", total="2.78", city_share="2.50",
              applies=Applies.ALL_HOURS, published_fee=FEE),
    ),
    minimum_hours=2,
    supervisor=SupervisorRule(officers_at_least=4),
    prohibited={
        "liquor_establishment": "no off-duty work at liquor/bar-type establishments",
        "civil_process": "no civil process service",
        "accident_reconstruction": "no traffic accident reconstruction for insurance companies or private persons",
        "polygraph": "no polygraph or CVSA examinations",
    },
    cancellation=CancellationPolicy(
        window=24,
        inside=ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM, fee_hours=FeeHours.FIRST_SCHEDULED,
                          officer_min_hours=3,
                          label="greater of hours worked and the 2-hour minimum at the officer's share, "
                                "plus the 11 % fee on the first 24 scheduled hours; officer paid at least 3 hours"),
        outside=ChargeRule(label="no charge outside 24 hours"),
        unfilled_alert=24,
    ),
)


@hookimpl
def offduty_agency() -> AgencySpec:
    return SPEC
