"""The core's own answer to the self-check hook, registered as a plugin like any other:
the generic findings (share plus fee equals total, published percentages, holidays).

The cancellation policy's channel and request-number rules are data of the spec, checked by
the compiled rules (:meth:`offduty_core.rules.AgencyRules.check_cancel`), not by a hook.
"""

from __future__ import annotations

from decimal import Decimal

from .hookspecs import hookimpl
from .model import AgencyInfo
from .money import cents
from .spec import AgencySpec, Finding


@hookimpl(trylast=True)
def offduty_self_check(agency: AgencyInfo, spec: AgencySpec):
    findings = []
    for cls in spec.rates.classes:
        if cls.published_fee is not None:
            computed = cents(cls.share * (1 + cls.published_fee))
            pct = f"{(cls.published_fee * 100).normalize():f} %"
            if computed == cls.total:
                findings.append(Finding(check=f"rate.{cls.name}", ok=True,
                                        message=f"{cls.label}: {cls.share} + {pct} = {cls.total}"))
            else:
                diff = cls.total - computed
                findings.append(Finding(
                    check=f"rate.{cls.name}", ok=False,
                    message=(f"{cls.label}: published total {cls.total} differs from {cls.share} + {pct} = "
                             f"{cls.share * (1 + cls.published_fee)} -> {computed} by {diff:+} "
                             f"({abs(diff) * 100:.0f} cent{'s' if abs(diff) != Decimal('0.01') else ''}); "
                             f"the published {cls.total} is billed")))
        if cls.assumed:
            findings.append(Finding(check=f"rate.{cls.name}.assumed", ok=True,
                                    message=f"{cls.label}: officer share {cls.share} is an assumption "
                                            f"(not published); admin fee {cls.fee}"))
    for charge in spec.extras:
        if charge.published_fee is not None:
            computed = cents(charge.city_share * (1 + charge.published_fee))
            ok = computed == charge.total
            findings.append(Finding(check=f"extra.{charge.name}", ok=ok,
                                    message=f"{charge.label}: {charge.city_share} + fee = {computed}"
                                            + ("" if ok else f", published {charge.total}")))
    if spec.holidays is not None:
        from datetime import date as _date

        from .errors import InputError

        for year in (_date.today().year, _date.today().year + 1):
            try:
                days = spec.holidays.dates(year)
            except InputError as exc:
                findings.append(Finding(check="holidays", ok=False, message=str(exc)))
                break
            findings.append(Finding(check=f"holidays.{year}", ok=True,
                                    message=f"{len(days)} holidays in {year}: "
                                            + ", ".join(f"{d:%b %d} {n}" for d, n in days.items())))
    return findings
