"""The plugin system: agencies through entry points, built-ins by name, isolation, typos,
broken plugins set aside."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import types
from decimal import Decimal

import pytest

from offduty_core import PluginError, Registry, get_plugin_manager, hookimpl
from offduty_core.plugins import BUILTIN_PLUGINS
from offduty_core.spec import AgencySpec, RateClass

SEEDS = ["chandler-az", "grantsville-ut", "lynnwood-wa", "west-valley-city-ut"]


def town_spec(name: str = "test-town", minimum: str | None = None, total: str = "60.00") -> AgencySpec:
    extra = {} if minimum is None else {"minimum_hours": minimum}
    return AgencySpec(name=name, title=f"{name} PD", timezone="America/Chicago",
                      rates=(RateClass(name="regular", label="Regular", total=total, share="50.00"),), **extra)


def make_agency_module(name: str = "test-town", minimum: str | None = None, total: str = "60.00") -> types.ModuleType:
    mod = types.ModuleType(f"agency_{name.replace('-', '_')}")

    @hookimpl
    def offduty_agency():
        return town_spec(name, minimum, total)

    mod.offduty_agency = offduty_agency
    return mod


def test_seed_agencies_arrive_through_entry_points_and_builtins_by_name():
    registry = Registry(get_plugin_manager())
    assert registry.names() == SEEDS
    assert {e.source for e in registry.agencies.values()} == {"built-in"}
    assert registry.broken == {}
    # The core's own plugins (defaults, distribution methods) are registered by module name.
    names = {registry.pm.get_name(p) for p in registry.pm.get_plugins()}
    assert set(BUILTIN_PLUGINS) <= names
    # Without entry points there are no agencies at all: the seeds are plugins like any other.
    assert Registry(get_plugin_manager(entry_points=False)).names() == []


def test_misspelled_hook_fails_at_load_time_with_a_suggestion():
    mod = types.ModuleType("typo")

    @hookimpl
    def offduty_rate_clas(agency, rates, request, role, piece):
        return None

    mod.offduty_rate_clas = offduty_rate_clas
    with pytest.raises(PluginError, match="offduty_rate_clas.*did you mean 'offduty_rate_class'"):
        get_plugin_manager(entry_points=False, extra=[mod])


def test_removed_hook_is_refused_as_unknown():
    """A plugin written for the old per-rule hooks is told, not silently ignored."""
    mod = types.ModuleType("old_style")

    @hookimpl
    def offduty_minimum_hours(agency, request, role):
        return Decimal(3)

    mod.offduty_minimum_hours = offduty_minimum_hours
    with pytest.raises(PluginError, match="unknown hook 'offduty_minimum_hours'"):
        get_plugin_manager(entry_points=False, extra=[mod])


def test_agency_hooks_are_isolated_from_other_agencies():
    """A plugin's spec and hooks answer only for its own agency; the seeds keep their own rules."""
    mod = make_agency_module("test-town", minimum="7")

    @hookimpl
    def offduty_adjust_spec(spec):
        return spec.evolve(title=spec.title + " (adjusted)")

    mod.offduty_adjust_spec = offduty_adjust_spec  # an agency plugin's hook: called for its agency only
    registry = Registry(get_plugin_manager(extra=[mod]))
    assert registry.rules("test-town").minimum_hours(None, "officer") == Decimal(7)
    assert registry.rules("test-town").info.title == "test-town PD (adjusted)"
    assert registry.rules("grantsville-ut").minimum_hours(None, "officer") == Decimal(2)
    assert registry.rules("lynnwood-wa").minimum_hours(None, "officer") == Decimal(4)
    assert not registry.rules("lynnwood-wa").info.title.endswith("(adjusted)")


def test_plugin_overrides_only_what_differs():
    """An agency with only a name and a rate table gets every other rule from the core."""
    registry = Registry(get_plugin_manager(entry_points=False, extra=[make_agency_module()]))
    rules = registry.rules("test-town")
    assert rules.minimum_hours(None, "officer") == 0
    assert rules.cancellation.window.total_seconds() == 0
    assert rules.terms.net_days == 30
    assert rules.terms.method_fee("card") == Decimal("0.03")
    assert rules.supervisor is None and rules.holidays is None and rules.unfilled_alert is None
    assert rules.has_rate_hook is False


def test_extension_plugin_sees_every_agency():
    """A plugin that defines no agency is called for every agency (and can tell them apart)."""
    ext = types.ModuleType("ext")
    seen = []

    @hookimpl
    def offduty_adjust_spec(spec):
        seen.append(spec.name)
        return None  # leave the agency's own spec as it is

    ext.offduty_adjust_spec = offduty_adjust_spec
    registry = Registry(get_plugin_manager(extra=[ext]))
    for name in SEEDS:
        registry.rules(name)
    assert seen == SEEDS
    assert registry.rules("lynnwood-wa").minimum_hours(None, "officer") == 4


def test_duplicate_agency_name_is_refused():
    registry = Registry(get_plugin_manager(extra=[make_agency_module("grantsville-ut")]))
    with pytest.raises(PluginError, match="'grantsville-ut' is defined twice"):
        registry.agencies


def test_wrong_return_type_sets_the_plugin_aside():
    mod = types.ModuleType("bad_town")

    @hookimpl
    def offduty_agency():
        return {"name": "bad-town", "regular": "60.00"}

    mod.offduty_agency = offduty_agency
    registry = Registry(get_plugin_manager(entry_points=False, extra=[mod, make_agency_module()]))
    assert registry.names() == ["test-town"]
    assert list(registry.broken) == ["bad_town"]
    assert "offduty_agency returned dict, expected AgencySpec" in registry.broken["bad_town"].broken
    with pytest.raises(PluginError, match="'bad_town' cannot be used: .*expected AgencySpec"):
        registry.rules("bad_town")


def test_invalid_spec_sets_the_plugin_aside_with_the_field():
    mod = types.ModuleType("typo_town")

    @hookimpl
    def offduty_agency():
        return town_spec("typo-town", total="60.005")

    mod.offduty_agency = offduty_agency
    registry = Registry(get_plugin_manager(entry_points=False, extra=[mod, make_agency_module()]))
    assert registry.names() == ["test-town"]
    reason = registry.broken["typo_town"].broken
    assert "total: '60.005'" in reason and "whole cents" in reason and "\n" not in reason


def test_unknown_agency_names_the_installed_ones():
    registry = Registry(get_plugin_manager())
    with pytest.raises(Exception, match="agency: 'nowhere'.*installed agencies: chandler-az"):
        registry.rules("nowhere")


def test_third_party_agency_discovered_through_entry_point(tmp_path, monkeypatch):
    """A distribution advertising the ``offduty`` entry-point group is loaded, and its
    source names the distribution."""
    pkg = tmp_path / "springfield_plugin.py"
    pkg.write_text(textwrap.dedent('''
        from offduty_core import hookimpl
        from offduty_core.spec import AgencySpec, RateClass

        @hookimpl
        def offduty_agency():
            return AgencySpec(name="springfield-il", title="Springfield PD", timezone="America/Chicago",
                              rates=(RateClass(name="regular", label="Regular", total="66.00", share="60.00"),))
    '''))
    dist = tmp_path / "springfield_plugin-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: springfield-plugin\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[offduty]\nspringfield-il = springfield_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    try:
        registry = Registry(get_plugin_manager())
        entry = registry.agencies["springfield-il"]
        assert entry.source == "springfield-plugin 1.2.3"
        assert registry.rules("springfield-il").rates.get("regular").fee == Decimal("6.00")
        assert set(SEEDS) < set(registry.names())
    finally:
        sys.modules.pop("springfield_plugin", None)


@pytest.mark.parametrize("module", ["plugins", "simulations", "tests"])
def test_generic_folder_names_are_not_installed_packages(module, tmp_path):
    """The installed import names are the project's own (offduty_plugins, ...)."""
    import subprocess

    code = f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({module!r}) is None else 1)"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path)
    assert result.returncode == 0, f"'import {module}' works from another folder"
    for name in ("offduty_core", "offduty_plugins", "offduty_simulations"):
        code = f"import {name}"
        assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path).returncode == 0
