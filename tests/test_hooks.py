"""Every hook works from a third-party plugin, is documented with its exact signature, and
has a test (this file implements each hook in a test plugin and checks its effect).

An agency is one :class:`~offduty_core.spec.AgencySpec` value: what used to be a hook per
rule (rate table, extras, holidays, minimum, notice, ...) is a field of the spec here, and
the test plugin implements the hooks that remain."""

from __future__ import annotations

import inspect
import re
import types
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from offduty_core import Refusal, Registry, get_plugin_manager, hookimpl
from offduty_core import hookspecs
from offduty_core.billing import bill
from offduty_core.calendars import HolidayCalendar
from offduty_core.distribution import WindowMethod, agency_rules, config_for, installed_methods
from offduty_core.eligibility import FunctionRule
from offduty_core.model import Cancel
from offduty_core.spec import (AgencySpec, Applies, CancellationPolicy, ChargeRule, DistributionConfig, Extra,
                               FeeHours, Finding, HourCaps, NoticeRule, PaymentTerms, RateClass, RateSplits,
                               ShareHours, SupervisorRule)
from offduty_core.story import parse_story

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "writing-an-agency-plugin.md"


def spec_names(module=hookspecs) -> list[str]:
    return [n for n, f in inspect.getmembers(module, inspect.isfunction) if n.startswith("offduty_")]


def signature_text(fn) -> str:
    return f"def {fn.__name__}{inspect.signature(fn)}".replace('"', "").replace("'", "")


class TownDraw(WindowMethod):
    """A sign-up window won by the lowest badge number (the town's own method)."""

    name = "town-draw"
    parameters = WindowMethod.WINDOW_PARAMS

    def order_key(self, desk, posting, officer):
        return int(officer.badge)


def no_rookies(officer, shift, book):
    return None


SPEC = AgencySpec(
    name="every-hook-town", title="Every Hook Town PD", timezone="America/New_York", subdivision="NY",
    rates=(
        RateClass(name="regular", label="Regular", total="55.00", share="50.00", published_fee="0.10"),
        RateClass(name="supervisor", label="Supervisor", total="66.00", share="60.00", published_fee="0.10"),
        RateClass(name="holiday", label="Holiday", total="82.50", share="75.00", published_fee="0.10"),
        RateClass(name="night", label="Night", total="60.50", share="55.00"),
    ),
    extras=(Extra(name="radio", label="Radio", total="1.10", city_share="1.00", applies=Applies.ALL_HOURS),),
    holidays=HolidayCalendar(keys=("independence_day",), subdivision="NY",
                             extra_dates=((date(2027, 8, 1), "Founders' Day"),)),
    # Cut billed time 8 h after clock-in, where the rate hook switches to the "night" (overtime) class.
    rate_splits=RateSplits(after_hours=(8,)),
    minimum_hours={"officer": 3, "supervisor": 5, "scribe": 5},
    notice=NoticeRule(refuse_below=timedelta(hours=12)),
    prohibited={"gambling": "no casinos"},
    supervisor=SupervisorRule(officers_at_least=3),
    cancellation=CancellationPolicy(window=timedelta(hours=36),
                                    inside=ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM,
                                                      fee_hours=FeeHours.FIRST_SCHEDULED, fee_hours_cap="2"),
                                    unfilled_alert=timedelta(hours=6)),
    caps=HourCaps(daily="10", weekly="20", monthly="60", min_rest=timedelta(hours=10), week_start=6),
    terms=PaymentTerms(net_days=15, method_fees={"card": "0.025", "ach": "0"}),
    distribution={"*": DistributionConfig(method="town-draw")},
)


def every_hook_plugin() -> types.ModuleType:
    """An agency that implements every hook with something the tests can see."""
    mod = types.ModuleType("every_hook_town")

    @hookimpl
    def offduty_agency():
        return SPEC

    @hookimpl
    def offduty_adjust_spec(spec):
        # Called for this agency only (an agency plugin's hooks never see other agencies).
        return spec.evolve(prohibited_dates={**spec.prohibited_dates, "08-15": "the town fair"})

    @hookimpl
    def offduty_register_categories(register):
        register("film_production")

    @hookimpl
    def offduty_register_distribution_methods(register):
        register("town-draw", TownDraw)

    @hookimpl
    def offduty_rate_class(agency, rates, request, role, piece):
        if not piece.holiday and piece.offset >= 8 * 3600:
            return "night"  # from the 9th hour worked: the overtime ("night") class
        return None

    @hookimpl
    def offduty_check_request(agency, request, spec):
        if request.vendor == "Blocked LLC":
            return Refusal(agency.name, "vendor-blocked", "this vendor is not accepted")
        return None

    @hookimpl
    def offduty_check_event(agency, request, event, spec):
        if isinstance(event, Cancel) and event.at.weekday() == 6:
            return Refusal(agency.name, "no-sunday-cancellations", "cancellations are not taken on Sundays")
        return None

    @hookimpl
    def offduty_eligibility_rules(agency, register):
        register(FunctionRule("town.no-rookies", no_rookies))

    @hookimpl
    def offduty_self_check(agency, spec):
        return [Finding(check="town.custom", ok=True, message=f"custom check ran for {spec.name}")]

    for name, fn in list(locals().items()):
        if name.startswith("offduty_"):
            setattr(mod, name, fn)
    return mod


@pytest.fixture(scope="module")
def registry():
    return Registry(get_plugin_manager(entry_points=False, extra=[every_hook_plugin()]))


def run(registry, request, events=(), payment=None):
    story = {"agency": "every-hook-town", "request": {"id": "E-1", "vendor": "Shop", "category": "security",
                                                      "received_at": "2027-07-01T08:00", **request},
             "events": list(events)}
    if payment:
        story["payment"] = {"method": payment}
    s = parse_story(story, registry)
    return bill(s.rules, s.request, s.events, s.payment_method)


def test_test_plugin_implements_every_hook():
    impl = {n for n in dir(every_hook_plugin()) if n.startswith("offduty_")}
    assert impl == set(spec_names())


def test_register_categories_and_prohibited(registry):
    assert "film_production" in registry.rules("every-hook-town").categories
    result = run(registry, {"category": "film_production", "start": "2027-07-02T10:00", "end": "2027-07-02T14:00"})
    # 4 h x 55.00 = 220.00; radio 4 h x 1.10 = 4.40
    assert result.vendor_total == Decimal("224.40")
    with pytest.raises(Refusal, match="no casinos"):
        run(registry, {"category": "gambling", "start": "2027-07-02T10:00", "end": "2027-07-02T14:00"})


def test_rate_table_extras_minimum_and_holiday(registry):
    # 1 h on Independence Day, officer minimum 3 h: 3 h x 82.50 holiday (247.50) on one line
    # + radio 3 h x 1.10 (3.30, of which 3 h x 1.00 = 3.00 to the city)
    result = run(registry, {"start": "2027-07-04T10:00", "end": "2027-07-04T11:00"})
    assert result.vendor_total == Decimal("247.50") + Decimal("3.30")
    assert result.city_total == Decimal("3.00")
    (minimum,) = [l for l in result.lines if l.party == "vendor" and l.rate_class]
    assert (minimum.rate_class, minimum.seconds, minimum.amount) == ("holiday", 3 * 3600, Decimal("247.50"))
    assert minimum.rule == "every-hook-town:minimum-hours"
    # An extra date of the city's own: Founders' Day.
    assert run(registry, {"start": "2027-08-01T10:00", "end": "2027-08-01T13:00"}).lines[0].rate_class == "holiday"


def test_rate_splits_and_rate_class(registry):
    # 10 h shift: 8 h regular (8 x 55.00 = 440.00) then 2 h at the "night" overtime class
    # (2 x 60.50 = 121.00); radio 10 h (11.00) is not a rate class line
    result = run(registry, {"start": "2027-07-02T08:00", "end": "2027-07-02T18:00"})
    classes = {l.rate_class: l.amount for l in result.lines if l.party == "vendor" and l.rate_class}
    assert classes == {"regular": Decimal("440.00"), "night": Decimal("121.00")}


def test_adjust_spec_of_the_agencys_own_plugin(registry):
    with pytest.raises(Refusal, match="no off-duty work on 2027-08-15: the town fair"):
        run(registry, {"start": "2027-08-15T10:00", "end": "2027-08-15T14:00"})
    assert registry.rules("every-hook-town").spec.prohibited_dates == {"08-15": "the town fair"}
    assert registry.agencies["every-hook-town"].spec is SPEC  # the plugin's own value is left as it was


def test_notice_supervisor_and_check_request(registry):
    with pytest.raises(Refusal, match="requests need 12 h notice; this one gave 11 h"):
        run(registry, {"start": "2027-07-01T19:00", "end": "2027-07-01T22:00"})
    result = run(registry, {"start": "2027-07-02T10:00", "end": "2027-07-02T16:00", "positions": {"officer": 3}})
    assert [s["role"] for s in result.slots] == ["officer"] * 3 + ["supervisor"]
    with pytest.raises(Refusal, match="vendor-blocked"):
        s = parse_story({"agency": "every-hook-town", "request": {
            "id": "E-2", "vendor": "Blocked LLC", "category": "security", "received_at": "2027-07-01T08:00",
            "start": "2027-07-02T10:00", "end": "2027-07-02T14:00"}}, registry)
        bill(s.rules, s.request, s.events)


def test_check_event_and_cancellation_policy(registry):
    with pytest.raises(Refusal, match="not taken on Sundays"):
        run(registry, {"start": "2027-07-06T10:00", "end": "2027-07-06T14:00"},
            [{"type": "cancel", "at": "2027-07-04T09:00", "channel": "phone"}])
    # Cancelled 24 h before (inside 36 h): 3 h minimum x 50.00 share + fee on the first 2 h (2 x 5.00)
    result = run(registry, {"start": "2027-07-06T10:00", "end": "2027-07-06T14:00"},
                 [{"type": "cancel", "at": "2027-07-05T10:00", "channel": "phone"}])
    assert result.vendor_total == Decimal("160.00")
    assert result.officer_pay_total == Decimal("150.00")


def test_unfilled_alert_caps_terms_and_self_check(registry):
    rules = registry.rules("every-hook-town")
    assert rules.unfilled_alert == timedelta(hours=6)
    assert rules.caps.weekly == Decimal(20) and rules.caps.week_start == 6
    assert rules.terms.net_days == 15
    result = run(registry, {"start": "2027-07-02T10:00", "end": "2027-07-02T14:00"}, payment="card")
    # 4 h x 55.00 + radio 4 x 1.10 = 224.40; card 2.5 % = 5.61
    assert result.card_fee_total == Decimal("5.61")
    checks = {f.check: f for f in registry.self_check("every-hook-town")}
    assert checks["town.custom"].ok and checks["rate.regular"].ok
    assert checks["town.custom"].message == "custom check ran for every-hook-town"


def test_distribution_methods_and_eligibility_rules(registry):
    rules = registry.rules("every-hook-town")
    assert installed_methods(registry.pm)["town-draw"] is TownDraw
    assert config_for(rules, "security").method == "town-draw"
    assert [r.name for r in agency_rules(rules)] == ["town.no-rookies"]


# --- documentation ---------------------------------------------------------------------


@pytest.mark.parametrize("name", spec_names())
def test_hook_is_documented_with_its_exact_signature(name):
    doc = DOC.read_text()
    section = re.search(rf"### `{name}`\n(.*?)(?=\n### |\Z)", doc, re.S)
    assert section, f"{name} has no section in {DOC.name}"
    body = section.group(1)
    assert signature_text(getattr(hookspecs, name)) in body, f"{name}: signature in the docs is not exact"
    assert "**Called**" in body and body.count("```python") >= 2, f"{name}: say when it is called and give an example"


def test_every_documented_hook_exists():
    """No section documents a hook that is gone (the per-rule hooks the spec replaced)."""
    documented = re.findall(r"^### `(offduty_\w+)`", DOC.read_text(), re.M)
    assert sorted(set(documented) - set(spec_names())) == []


@pytest.mark.parametrize("name", spec_names())
def test_hook_has_a_test(name):
    """Some test file other than the documentation check implements or calls the hook."""
    texts = [p.read_text() for p in (ROOT / "tests").rglob("test_*.py")]
    assert any(f"def {name}(" in t for t in texts), f"no test implements {name}"
