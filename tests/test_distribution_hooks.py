"""The distribution hooks: each works from a third-party plugin, and is documented in
docs/writing-an-agency-plugin.md with its exact signature, when it is called, and an example.

How an agency distributes a category's shifts and which qualifications its jobs need are
fields of its :class:`~offduty_core.spec.AgencySpec` (``distribution``, ``qualifications``),
no longer hooks; the tests of those fields here check the effects the old hooks had."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

from distribution_helpers import (TOWN, VILLE, T, agency_module, agency_spec, accept, apply, awards, cop, refusals,
                                  submit, until)
from offduty_core import PluginError, Registry, get_plugin_manager, hookimpl
from offduty_core import hookspecs
from offduty_core.distribution import WindowMethod, installed_methods
from offduty_core.eligibility import FunctionRule
from offduty_core.errors import InputError
from offduty_core.lifecycle import JobBoard
from offduty_core.officers import Roster
from offduty_core.plugins import BUILTIN_PLUGINS
from offduty_core.spec import DistributionConfig

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "writing-an-agency-plugin.md"
BUILTIN_METHODS = ["bidding", "fairness", "immediate-release", "seniority", "sequencing"]
#: The hooks of the distribution layer (in offduty_core.hookspecs with every other hook).
DISTRIBUTION_HOOKS = ("offduty_register_distribution_methods", "offduty_eligibility_rules")
SEED_MODULES = tuple(f"offduty_plugins.agencies.{m}" for m in ("chandler_az", "grantsville_ut", "lynnwood_wa",
                                                                "west_valley_city_ut"))


def spec_names() -> list[str]:
    names = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("offduty_")]
    return [n for n in names if n in DISTRIBUTION_HOOKS]


def test_the_distribution_hooks_are_specs_and_the_old_ones_are_gone():
    assert spec_names() == sorted(DISTRIBUTION_HOOKS)
    for gone in ("offduty_distribution", "offduty_qualification_for"):
        assert not hasattr(hookspecs, gone)


def registry_with(*plugins) -> Registry:
    return Registry(get_plugin_manager(entry_points=False, extra=[agency_module(TOWN), agency_module(VILLE),
                                                                  *plugins]))


def plugin(name: str, **hooks) -> types.ModuleType:
    mod = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(mod, hook_name, hookimpl(fn))
    return mod


# --- offduty_register_distribution_methods ----------------------------------------------


class Lottery(WindowMethod):
    """A sign-up window won by the applicant with the highest badge number."""

    name = "lottery"
    parameters = WindowMethod.WINDOW_PARAMS

    def order_key(self, desk, posting, officer):
        return -int(officer.badge)


def test_builtin_methods_are_registered_through_the_hook():
    assert sorted(installed_methods(get_plugin_manager(entry_points=False))) == BUILTIN_METHODS


def test_a_third_party_method_is_registered_and_used():
    def offduty_register_distribution_methods(register):
        register("lottery", Lottery)

    reg = registry_with(plugin("lottery_plugin", offduty_register_distribution_methods=offduty_register_distribution_methods))
    assert "lottery" in installed_methods(reg.pm)
    board = JobBoard(reg, Roster([cop("1"), cop("7"), cop("3")]), distribution={TOWN: {"*": {"method": "lottery"}}})
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    for badge in "173":
        apply(board, "2027-03-01T09:00", "R-1", badge)
    until(board, "2027-03-02T09:00")
    assert awards(board) == [("R-1", 0, "7")]


def test_duplicate_or_malformed_methods_are_plugin_errors():
    def offduty_register_distribution_methods(register):
        register("seniority", Lottery)

    reg = registry_with(plugin("copycat", offduty_register_distribution_methods=offduty_register_distribution_methods))
    with pytest.raises(PluginError, match="'seniority' is registered twice: by plugin "
                                          "'offduty_plugins.distribution.seniority' and by plugin"):
        installed_methods(reg.pm)

    def offduty_register_distribution_methods(register):  # noqa: F811 - a second, broken plugin
        register("not-a-method", dict)

    reg = registry_with(plugin("broken", offduty_register_distribution_methods=offduty_register_distribution_methods))
    with pytest.raises(PluginError, match="must be a DistributionMethod subclass"):
        installed_methods(reg.pm)


def test_an_unknown_method_name_lists_the_installed_ones():
    board = JobBoard(registry_with(), Roster([cop("1")]), distribution={TOWN: {"*": {"method": "seniorty"}}})
    with pytest.raises(InputError, match="'seniorty' is not allowed; installed methods are bidding, fairness, "
                                         "immediate-release, seniority, sequencing"):
        submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")


# --- spec.distribution (was the offduty_distribution hook) --------------------------------


def town_with(**hooks) -> types.ModuleType:
    mod = agency_module(TOWN)
    for name, fn in hooks.items():
        setattr(mod, name, hookimpl(fn))
    return mod


def town_spec(**fields) -> types.ModuleType:
    """test-town with ``fields`` of its spec changed."""
    mod = types.ModuleType("test_town")
    spec = agency_spec(TOWN).evolve(**fields)
    mod.offduty_agency = hookimpl(lambda: spec)
    return mod


def test_an_agency_picks_its_method_per_category():
    # school_safety: seniority; everything else: the core's default (no "*" entry).
    town = town_spec(distribution={"school_safety": DistributionConfig(method="seniority",
                                                                       params={"window_hours": 12})})
    reg = Registry(get_plugin_manager(entry_points=False, extra=[town, agency_module(VILLE)]))
    board = JobBoard(reg, Roster([cop("1", quals={"sso"}), cop("2", "2001-01-01", quals={"sso"})]))
    submit(board, "S-1", "2027-03-05T07:00", "2027-03-05T09:00", category="school_safety")
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    posted = {r.request_id: r.method for r in board.records if r.kind == "Posted"}
    assert posted == {"S-1": "seniority", "R-1": "immediate-release"}
    assert board.next_wakeup() == T("2027-03-01T20:00")  # the 12 h window


def test_the_seed_agencies_use_the_default_and_a_wrong_value_is_refused():
    seeds = Registry(get_plugin_manager(entry_points=False, builtins=BUILTIN_PLUGINS + SEED_MODULES))
    assert len(seeds.names()) == 4
    board = JobBoard(seeds, Roster([]))
    for agency in seeds.names():
        assert board.method_for(agency, "security")[0] == DistributionConfig()

    # A plain dict instead of a DistributionConfig is refused when the spec is made ...
    with pytest.raises(InputError, match=r"give \{category or '\*': DistributionConfig\}"):
        agency_spec(TOWN).evolve(distribution={"*": {"method": "seniority"}})

    # ... so a plugin returning such a spec is set aside as broken, with the reason.
    def offduty_agency():
        return agency_spec(TOWN).evolve(distribution={"*": {"method": "seniority"}})

    reg = Registry(get_plugin_manager(entry_points=False, extra=[plugin("wrong_town", offduty_agency=offduty_agency)]))
    assert TOWN not in reg.agencies
    assert "give {category or '*': DistributionConfig}" in reg.broken["wrong_town"].broken
    with pytest.raises(InputError, match="installed agencies: none"):
        JobBoard(reg, Roster([])).method_for(TOWN, "security")


def test_an_extension_plugin_sets_the_method_for_every_agency():
    seen = []

    def offduty_adjust_spec(spec):
        seen.append(spec.name)
        return spec.evolve(distribution={"*": DistributionConfig(method="fairness")})

    reg = registry_with(plugin("fair_everywhere", offduty_adjust_spec=offduty_adjust_spec))
    board = JobBoard(reg, Roster([]))
    assert board.method_for(TOWN, "security")[1].name == "fairness"
    assert board.method_for(VILLE, "security")[1].name == "fairness"
    assert seen == [TOWN, VILLE]


# --- spec.qualifications (was the offduty_qualification_for hook) ------------------------


def test_an_agency_requires_its_own_qualification_and_keeps_the_default_for_the_rest():
    # The spec's qualifications replace the default map, so the agency keeps the default's
    # school_safety entry by building on it.
    base = agency_spec(TOWN)
    assert base.qualifications == {"school_safety": frozenset({"sso"})}  # the default
    town = town_spec(qualifications={**base.qualifications, "traffic_control": {"flagger"}})
    reg = Registry(get_plugin_manager(entry_points=False, extra=[town, agency_module(VILLE)]))
    board = JobBoard(reg, Roster([cop("1"), cop("2", quals={"flagger"}), cop("3", quals={"sso"})]))
    submit(board, "T-1", "2027-03-05T07:00", "2027-03-05T09:00", category="traffic_control")
    submit(board, "S-1", "2027-03-06T07:00", "2027-03-06T09:00", category="school_safety")
    accept(board, "2027-03-01T09:00", "T-1", "1")
    accept(board, "2027-03-01T09:01", "T-1", "2")
    accept(board, "2027-03-01T09:02", "S-1", "1")
    accept(board, "2027-03-01T09:03", "S-1", "3")
    assert awards(board) == [("T-1", 0, "2"), ("S-1", 0, "3")]
    assert refusals(board) == ["badge 1: a traffic_control job needs qualification flagger; holds none",
                               "badge 1: a school_safety job needs qualification sso; holds none"]


# --- offduty_eligibility_rules -----------------------------------------------------------


def probation(officer, shift, book):
    if (shift.start.date() - officer.seniority_date).days < 365:
        return "on probation (less than a year of service)"
    return None


def test_an_agency_rule_applies_to_its_own_shifts_only():
    def offduty_eligibility_rules(agency, register):
        register(FunctionRule("probation", probation))

    reg = Registry(get_plugin_manager(entry_points=False, extra=[
        town_with(offduty_eligibility_rules=offduty_eligibility_rules), agency_module(VILLE)]))
    rookie = cop("9", "2026-10-01")
    board = JobBoard(reg, Roster([rookie, cop("1"), cop("V9", "2026-10-01", agency=VILLE)]))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    submit(board, "V-1", "2027-03-05T18:00", "2027-03-05T22:00", agency=VILLE)
    accept(board, "2027-03-01T09:00", "R-1", "9")
    accept(board, "2027-03-01T09:00", "V-1", "V9")  # test-ville has no probation rule
    assert refusals(board) == ["badge 9: on probation (less than a year of service)"]
    assert awards(board) == [("V-1", 0, "V9")]


def test_an_agency_rule_named_like_a_core_rule_is_refused():
    def offduty_eligibility_rules(agency, register):
        register(FunctionRule("overlap", probation))

    reg = Registry(get_plugin_manager(entry_points=False, extra=[
        town_with(offduty_eligibility_rules=offduty_eligibility_rules)]))
    board = JobBoard(reg, Roster([cop("1")]))
    submit(board, "R-1", "2027-03-05T18:00", "2027-03-05T22:00")
    with pytest.raises(PluginError, match="'overlap' is registered twice"):
        accept(board, "2027-03-01T09:00", "R-1", "1")


# --- documentation ---------------------------------------------------------------------


@pytest.mark.parametrize("name", spec_names())
def test_hook_is_documented_with_its_exact_signature(name):
    fn = getattr(hookspecs, name)
    assert fn.__doc__ and "Called" in fn.__doc__, f"{name}: the spec's docstring must say when it is called"
    doc = DOC.read_text()
    section = re.search(rf"### `{name}`\n(.*?)(?=\n### |\Z)", doc, re.S)
    assert section, f"{name} has no section in {DOC.name}"
    body = section.group(1)
    signature = f"def {name}{inspect.signature(fn)}".replace('"', "").replace("'", "")
    assert signature in body, f"{name}: signature in the docs is not exact"
    assert "**Called**" in body and body.count("```python") >= 2


@pytest.mark.parametrize("name", spec_names())
def test_hook_has_a_test(name):
    texts = [p.read_text() for p in (ROOT / "tests").rglob("test_*.py")]
    assert any(f"def {name}(" in t for t in texts), f"no test implements {name}"


def test_configs_compare_by_their_parameters_and_read_plain_data():
    a = DistributionConfig(method="seniority", params={"window_hours": 12})
    assert a != DistributionConfig(method="seniority", params={"window_hours": 48})
    assert a == DistributionConfig.from_dict({"method": "seniority", "params": {"window_hours": 12}})
    assert hash(a) == hash(DistributionConfig(method="seniority", params={"window_hours": 12}))
    staged = DistributionConfig.from_dict({"method": "sequencing", "group": "sso", "backup_agencies": [VILLE],
                                           "release_before_start_hours": 24})
    assert staged.release_before_start.total_seconds() == 24 * 3600 and staged.staged
    with pytest.raises(InputError, match="distribution.relase_after_hours: 3 is not allowed; unknown field"):
        DistributionConfig.from_dict({"relase_after_hours": 3})
    with pytest.raises(InputError, match="need release_after or release_before_start"):
        DistributionConfig(backup_agencies=(VILLE,))
    with pytest.raises(InputError, match="need backup_agencies or a group"):
        DistributionConfig(release_after=4)
