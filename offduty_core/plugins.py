"""The plugin manager factory and the agency registry.

Built-in plugins (the core's defaults, the seed agencies, the distribution methods) are
registered through the same hooks as third-party ones; third-party plugins arrive through
the ``offduty`` entry-point group.  ``check_pending`` makes a misspelled hook
(``offduty_rate_tabel``) fail when the manager is built, not silently later.
"""

from __future__ import annotations

import difflib
import importlib
from functools import cached_property
from typing import Any, Iterable

import attrs
import pluggy

from . import hookspecs
from .errors import InputError, PluginError
from .hookspecs import PROJECT
from .model import CORE_CATEGORIES, AgencyInfo
from .rules import AgencyRules, RateTable

ENTRY_POINT_GROUP = "offduty"

#: Modules registered by :func:`get_plugin_manager` before any entry point, in this order.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "offduty_core.defaults",
    "offduty_plugins.agencies.lynnwood_wa",
    "offduty_plugins.agencies.grantsville_ut",
    "offduty_plugins.agencies.chandler_az",
    "offduty_plugins.agencies.west_valley_city_ut",
    "offduty_core.distribution_defaults",
    "offduty_plugins.distribution.immediate_release",
    "offduty_plugins.distribution.seniority",
    "offduty_plugins.distribution.sequencing",
    "offduty_plugins.distribution.bidding",
    "offduty_plugins.distribution.fairness",
)


def get_plugin_manager(*, builtins: Iterable[str] | None = None, entry_points: bool = True,
                       extra: Iterable[Any] = ()) -> pluggy.PluginManager:
    """Build a plugin manager: specs, built-ins, entry points, then ``extra`` plugins.

    ``builtins`` replaces :data:`BUILTIN_PLUGINS` (the defaults are always kept);
    ``entry_points=False`` skips installed third-party plugins (isolated tests).
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for extra_specs in _extra_spec_modules():
        pm.add_hookspecs(extra_specs)
    names = list(BUILTIN_PLUGINS if builtins is None else builtins)
    if "offduty_core.defaults" not in names:
        names.insert(0, "offduty_core.defaults")
    try:
        for name in names:
            pm.register(importlib.import_module(name), name=name)
        if entry_points:
            pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        for plugin in extra:
            pm.register(plugin)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        message = f"invalid plugin: {exc}"
        unknown = [n for n in pm.hook.__dict__ if not getattr(pm.hook, n).has_spec()]
        known = [n for n in pm.hook.__dict__ if getattr(pm.hook, n).has_spec()]
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        raise PluginError(message) from exc
    return pm


def _extra_spec_modules() -> list[Any]:
    """Hook spec modules of later core layers (distribution), if present."""
    mods = []
    for name in ("offduty_core.distribution_hookspecs",):
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return mods


@attrs.frozen
class AgencyEntry:
    info: AgencyInfo
    plugin: Any
    source: str


class Registry:
    """The installed agencies and their resolved rules, over one plugin manager."""

    def __init__(self, pm: pluggy.PluginManager | None = None):
        self.pm = pm if pm is not None else get_plugin_manager()
        self._rules: dict[str, AgencyRules] = {}

    @cached_property
    def agencies(self) -> dict[str, AgencyEntry]:
        dists = {id(plugin): dist for plugin, dist in self.pm.list_plugin_distinfo()}
        found: dict[str, AgencyEntry] = {}
        for impl in self.pm.hook.offduty_agency.get_hookimpls():
            info = impl.function()
            if not isinstance(info, AgencyInfo):
                raise PluginError(f"plugin {impl.plugin_name!r}: offduty_agency returned "
                                  f"{type(info).__name__}, expected AgencyInfo")
            if info.name in found:
                raise PluginError(f"agency {info.name!r} is defined twice: by {found[info.name].source} "
                                  f"and by plugin {impl.plugin_name!r}")
            dist = dists.get(id(impl.plugin))
            source = f"{dist.project_name} {dist.version}" if dist is not None else "built-in"
            found[info.name] = AgencyEntry(info=info, plugin=impl.plugin, source=source)
        return dict(sorted(found.items()))

    @cached_property
    def categories(self) -> frozenset[str]:
        names = set(CORE_CATEGORIES)

        def register(name: str) -> None:
            if not isinstance(name, str) or not name.replace("_", "").isalnum() or name != name.lower():
                raise PluginError(f"category {name!r}: use lower-case words joined by '_'")
            names.add(name)

        self.pm.hook.offduty_register_categories(register=register)
        return frozenset(names)

    def names(self) -> list[str]:
        return list(self.agencies)

    def hooks_for(self, name: str) -> Any:
        """A hook relay that calls ``name``'s plugin, extensions and defaults, but no other
        agency's plugin."""
        entry = self._entry(name)
        others = [e.plugin for n, e in self.agencies.items() if n != name and e.plugin is not entry.plugin]
        return _SubsetHooks(self.pm, others)

    def rules(self, name: str) -> AgencyRules:
        if name not in self._rules:
            self._rules[name] = self._resolve(name)
        return self._rules[name]

    def _entry(self, name: str) -> AgencyEntry:
        try:
            return self.agencies[name]
        except KeyError:
            installed = ", ".join(self.agencies) or "none"
            raise InputError("agency", name, f"installed agencies: {installed}") from None

    def _resolve(self, name: str) -> AgencyRules:
        entry = self._entry(name)
        hooks = self.hooks_for(name)
        info = entry.info
        rates = hooks.offduty_rate_table(agency=info)
        if not isinstance(rates, RateTable):
            raise PluginError(f"agency {name!r}: offduty_rate_table must return a RateTable, got {rates!r}")
        prohibited = dict(hooks.offduty_prohibited_categories(agency=info) or {})
        unknown = sorted(set(prohibited) - self.categories)
        if unknown:
            raise PluginError(f"agency {name!r}: prohibits unknown category {unknown[0]!r}")
        return AgencyRules(
            info=info,
            rates=rates,
            city_charges=tuple(hooks.offduty_city_charges(agency=info) or ()),
            holidays=hooks.offduty_holiday_calendar(agency=info),
            notice=hooks.offduty_notice_rule(agency=info),
            supervisor=hooks.offduty_supervisor_rule(agency=info),
            prohibited=prohibited,
            categories=self.categories,
            cancellation=hooks.offduty_cancellation_policy(agency=info),
            unfilled_alert=hooks.offduty_unfilled_alert(agency=info),
            caps=hooks.offduty_hour_caps(agency=info),
            terms=hooks.offduty_payment_terms(agency=info),
            source=entry.source,
            hooks=hooks,
        )

    def self_check(self, name: str) -> list:
        rules = self.rules(name)
        findings = []
        for result in rules.hooks.offduty_self_check(agency=rules.info, rules=rules):
            findings.extend(result or ())
        return findings


class _SubsetHooks:
    """Attribute access to hook callers that leave out a set of plugins (cached)."""

    def __init__(self, pm: pluggy.PluginManager, remove: list[Any]):
        self._pm = pm
        self._remove = remove
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        caller = self._cache.get(name)
        if caller is None:
            caller = self._pm.subset_hook_caller(name, self._remove)
            self._cache[name] = caller
        return caller


_default_registry: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry over all installed plugins (built lazily, once)."""
    global _default_registry
    if _default_registry is None:
        _default_registry = Registry()
    return _default_registry
