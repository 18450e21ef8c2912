"""The core's defaults, registered as a plugin like any other (``trylast``).

An agency plugin overrides a default by implementing the same hook; what it does not
implement falls through to these.
"""

from __future__ import annotations

from decimal import Decimal

from .errors import Refusal
from .hookspecs import hookimpl
from .model import AgencyInfo, Cancel, Request
from .money import cents
from .rules import AgencyRules, CancellationPolicy, Finding, HourCaps, NoticeRule, PaymentTerms, RateTable


@hookimpl(trylast=True)
def offduty_city_charges(agency: AgencyInfo):
    return ()


@hookimpl(trylast=True)
def offduty_rate_class(agency: AgencyInfo, rates: RateTable, request: Request, role: str, holiday: str | None,
                       emergency: bool) -> str:
    candidates = [rates.roles[role]]
    if holiday and "holiday" in rates:
        candidates.append("holiday")
    if emergency and "emergency" in rates:
        candidates.append("emergency")
    return rates.highest(candidates).name


@hookimpl(trylast=True)
def offduty_minimum_hours(agency: AgencyInfo, request: Request, role: str) -> Decimal:
    return Decimal(0)


@hookimpl(trylast=True)
def offduty_notice_rule(agency: AgencyInfo) -> NoticeRule:
    return NoticeRule()


@hookimpl(trylast=True)
def offduty_prohibited_categories(agency: AgencyInfo) -> dict[str, str]:
    return {}


@hookimpl(trylast=True)
def offduty_cancellation_policy(agency: AgencyInfo) -> CancellationPolicy:
    return CancellationPolicy()


@hookimpl(trylast=True)
def offduty_hour_caps(agency: AgencyInfo) -> HourCaps:
    return HourCaps()


@hookimpl(trylast=True)
def offduty_payment_terms(agency: AgencyInfo) -> PaymentTerms:
    return PaymentTerms()


@hookimpl(trylast=True)
def offduty_check_event(agency: AgencyInfo, request: Request, event, rules: AgencyRules):
    """The cancellation policy's channel and request-number requirements."""
    if not isinstance(event, Cancel):
        return None
    policy = rules.cancellation
    if policy.written_channels is not None and event.channel not in policy.written_channels:
        allowed = " or ".join(sorted(policy.written_channels))
        return Refusal(agency.name, "cancellation.in-writing",
                       f"cancellations must be in writing ({allowed}); got one by {event.channel}")
    if policy.require_request_id and event.request_id != request.id:
        quoted = "none" if event.request_id is None else repr(event.request_id)
        return Refusal(agency.name, "cancellation.request-number",
                       f"a cancellation must quote the request number {request.id!r}; it quoted {quoted}")
    return None


@hookimpl(trylast=True)
def offduty_self_check(agency: AgencyInfo, rules: AgencyRules):
    findings = []
    for cls in rules.rates.classes:
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
    for charge in rules.city_charges:
        if charge.published_fee is not None:
            computed = cents(charge.city_share * (1 + charge.published_fee))
            ok = computed == charge.total
            findings.append(Finding(check=f"city.{charge.name}", ok=ok,
                                    message=f"{charge.label}: {charge.city_share} + fee = {computed}"
                                            + ("" if ok else f", published {charge.total}")))
    if rules.holidays is not None:
        from datetime import date as _date

        from .errors import InputError

        for year in (_date.today().year, _date.today().year + 1):
            try:
                days = rules.holidays.dates(year)
            except InputError as exc:
                findings.append(Finding(check="holidays", ok=False, message=str(exc)))
                break
            findings.append(Finding(check=f"holidays.{year}", ok=True,
                                    message=f"{len(days)} holidays in {year}: "
                                            + ", ".join(f"{d:%b %d} {n}" for d, n in days.items())))
    if rules.holidays is not None and "holiday" not in rules.rates:
        findings.append(Finding(check="holidays", ok=False,
                                message="a holiday calendar is set but the rate table has no 'holiday' class"))
    return findings
