"""The plugin system: built-ins through the same hooks, entry points, isolation, typos."""

from __future__ import annotations

import importlib.metadata
import sys
import textwrap
import types
from decimal import Decimal

import pytest

from offduty_core import PluginError, Registry, get_plugin_manager, hookimpl
from offduty_core.model import AgencyInfo
from offduty_core.plugins import BUILTIN_PLUGINS
from offduty_core.rules import RateClass, RateTable

SEEDS = ["chandler-az", "grantsville-ut", "lynnwood-wa", "west-valley-city-ut"]


def make_agency_module(name: str = "test-town", minimum: str | None = None, total: str = "60.00") -> types.ModuleType:
    mod = types.ModuleType(f"agency_{name.replace('-', '_')}")

    @hookimpl
    def offduty_agency():
        return AgencyInfo(name=name, title=f"{name} PD", timezone="America/Chicago")

    @hookimpl
    def offduty_rate_table(agency):
        return RateTable(classes=(RateClass(name="regular", label="Regular", total=total, share="50.00"),))

    mod.offduty_agency = offduty_agency
    mod.offduty_rate_table = offduty_rate_table
    if minimum is not None:
        @hookimpl
        def offduty_minimum_hours(agency, request, role):
            return Decimal(minimum)

        mod.offduty_minimum_hours = offduty_minimum_hours
    return mod


def test_builtin_agencies_are_registered_through_the_hooks():
    registry = Registry(get_plugin_manager(entry_points=False))
    assert registry.names() == SEEDS
    assert {e.source for e in registry.agencies.values()} == {"built-in"}
    # The built-in agencies are plain plugin modules in the manager, like third-party ones.
    names = {registry.pm.get_name(p) for p in registry.pm.get_plugins()}
    assert set(BUILTIN_PLUGINS) <= names


def test_misspelled_hook_fails_at_load_time_with_a_suggestion():
    mod = types.ModuleType("typo")

    @hookimpl
    def offduty_minimum_hour(agency, request, role):
        return Decimal(3)

    mod.offduty_minimum_hour = offduty_minimum_hour
    with pytest.raises(PluginError, match="offduty_minimum_hour.*did you mean 'offduty_minimum_hours'"):
        get_plugin_manager(entry_points=False, extra=[mod])


def test_agency_hooks_are_isolated_from_other_agencies():
    """A plugin's hooks answer only for its own agency; the seeds keep their own rules."""
    mod = make_agency_module("test-town", minimum="7")
    registry = Registry(get_plugin_manager(entry_points=False, extra=[mod]))
    assert registry.rules("test-town").minimum_hours(None, "officer") == Decimal(7)
    assert registry.rules("grantsville-ut").minimum_hours(None, "officer") == Decimal(2)
    assert registry.rules("lynnwood-wa").minimum_hours(None, "officer") == Decimal(4)


def test_plugin_overrides_only_what_differs():
    """An agency with only a name and a rate table gets every other rule from the core."""
    registry = Registry(get_plugin_manager(entry_points=False, extra=[make_agency_module()]))
    rules = registry.rules("test-town")
    assert rules.minimum_hours(None, "officer") == 0
    assert rules.cancellation.window.total_seconds() == 0
    assert rules.terms.net_days == 30
    assert rules.terms.method_fee("card") == Decimal("0.03")
    assert rules.supervisor is None and rules.holidays is None and rules.unfilled_alert is None


def test_extension_plugin_sees_every_agency():
    """A plugin that defines no agency is called for every agency (and can tell them apart)."""
    ext = types.ModuleType("ext")
    seen = []

    @hookimpl(tryfirst=True)
    def offduty_minimum_hours(agency, request, role):
        seen.append(agency.name)
        return None  # fall through to the agency's own answer

    ext.offduty_minimum_hours = offduty_minimum_hours
    registry = Registry(get_plugin_manager(entry_points=False, extra=[ext]))
    for name in SEEDS:
        registry.rules(name).minimum_hours(None, "officer")
    assert seen == SEEDS
    assert registry.rules("lynnwood-wa").minimum_hours(None, "officer") == 4


def test_duplicate_agency_name_is_refused():
    registry = Registry(get_plugin_manager(entry_points=False, extra=[make_agency_module("grantsville-ut")]))
    with pytest.raises(PluginError, match="'grantsville-ut' is defined twice"):
        registry.agencies


def test_wrong_return_type_is_a_plugin_error():
    mod = make_agency_module("bad-town")

    @hookimpl
    def offduty_rate_table(agency):
        return {"regular": "60.00"}

    mod.offduty_rate_table = offduty_rate_table
    registry = Registry(get_plugin_manager(entry_points=False, extra=[mod]))
    with pytest.raises(PluginError, match="must return a RateTable"):
        registry.rules("bad-town")


def test_unknown_agency_names_the_installed_ones():
    registry = Registry(get_plugin_manager(entry_points=False))
    with pytest.raises(Exception, match="agency: 'nowhere'.*installed agencies: chandler-az"):
        registry.rules("nowhere")


def test_third_party_agency_discovered_through_entry_point(tmp_path, monkeypatch):
    """A distribution advertising the ``offduty`` entry-point group is loaded, and its
    source names the distribution."""
    pkg = tmp_path / "springfield_plugin.py"
    pkg.write_text(textwrap.dedent('''
        from offduty_core import hookimpl
        from offduty_core.model import AgencyInfo
        from offduty_core.rules import RateClass, RateTable

        @hookimpl
        def offduty_agency():
            return AgencyInfo(name="springfield-il", title="Springfield PD", timezone="America/Chicago")

        @hookimpl
        def offduty_rate_table(agency):
            return RateTable(classes=(RateClass(name="regular", label="Regular", total="66.00", share="60.00"),))
    '''))
    dist = tmp_path / "springfield_plugin-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: springfield-plugin\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[offduty]\nspringfield-il = springfield_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    registry = Registry(get_plugin_manager())
    entry = registry.agencies["springfield-il"]
    assert entry.source == "springfield-plugin 1.2.3"
    assert registry.rules("springfield-il").rates.get("regular").fee == Decimal("6.00")
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
