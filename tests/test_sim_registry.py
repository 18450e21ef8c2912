"""The simulator runs an agency from a plugin manager the caller gives it (a plugin that is
not installed: a notebook's, a test's), and leaves the process-wide registry as it was."""

from __future__ import annotations

import types
from decimal import Decimal

import pytest

from offduty_core import Registry, default_registry, get_plugin_manager, hookimpl
from offduty_core.spec import AgencySpec, RateClass
from offduty_simulations.runner import replicate
from offduty_simulations.scenario import ScenarioError, from_dict


@hookimpl
def offduty_agency():
    return AgencySpec(name="testville-or", title="Testville PD (OR)", timezone="America/Los_Angeles",
                      subdivision="OR",
                      rates=(RateClass(name="regular", label="Regular", total="50.00", share="40.00"),),
                      minimum_hours=Decimal(2))


def _plugin() -> types.ModuleType:
    plugin = types.ModuleType("testville_or")
    plugin.offduty_agency = offduty_agency
    return plugin


SCENARIO = {
    "name": "testville week",
    "agency": {"name": "testville-or", "days": 7},
    "officers": {"count": 15},
    "demand": {"categories": {"security": {"requests_per_week": 20}}},
    "distribution": {"method": "immediate-release"},
}


def test_a_scenario_names_an_agency_from_the_registry_it_is_checked_against():
    with pytest.raises(ScenarioError, match="no such agency plugin"):
        from_dict(SCENARIO)
    registry = Registry(get_plugin_manager(extra=[_plugin()]))
    scenario = from_dict(SCENARIO, registry=registry)
    assert scenario.agency.name == "testville-or"
    assert scenario.with_overrides({"agency.days": 3}, registry=registry).agency.days == 3


def test_replicate_bills_with_the_given_registrys_plugin_and_leaves_the_default_alone():
    before = default_registry()
    registry = Registry(get_plugin_manager(extra=[_plugin()]))
    out = replicate(from_dict(SCENARIO, registry=registry), 3, registry=registry)
    s = out.summary
    assert s["agency"] == "testville-or" and s["requests"]["received"] > 0
    assert s["ledger"]["balanced"]
    # Billed at the plugin's 50.00 (40.00 to the officer, 10.00 fee): the fee is a quarter of the pay.
    fee, pay = Decimal(s["money"]["admin_fee"]), Decimal(s["money"]["officer_pay"])
    assert fee > 0 and abs(fee / pay - Decimal("0.25")) < Decimal("0.001")
    assert (out.shifts["status"] == "worked").any()
    assert default_registry() is before and "testville-or" not in before.agencies


def test_the_default_registry_is_untouched_when_a_replication_fails():
    before = default_registry()
    registry = Registry(get_plugin_manager(extra=[_plugin()]))
    scenario = from_dict(SCENARIO, registry=registry)
    with pytest.raises(ZeroDivisionError):
        replicate(scenario, 3, progress=lambda n: 1 / 0, registry=registry)
    assert default_registry() is before
