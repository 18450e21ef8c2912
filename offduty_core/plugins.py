"""The plugin manager factory and the agency registry.

Built-in plugins (the core's own answers and the distribution methods) are registered by
module name; agencies, the four seed ones included, arrive through the ``offduty``
entry-point group like any third party's.  A plugin that cannot load -- it fails to import,
names a hook that does not exist (``offduty_rate_tabel``), or its spec does not validate --
is set aside as *broken* with its reason in one line: ``offduty agencies`` lists it, using it
by name is refused with that reason, and every other agency keeps working.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
from functools import cached_property
from typing import Any, Iterable

import attrs
import pluggy

from . import hookspecs
from .errors import InputError, OffdutyError, PluginError
from .hookspecs import PROJECT
from .model import CORE_CATEGORIES, AgencyInfo
from .rules import AgencyRules, compile_rules
from .spec import AgencySpec, Finding

ENTRY_POINT_GROUP = "offduty"

#: Modules registered by :func:`get_plugin_manager` before any entry point, in this order.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "offduty_core.defaults",
    "offduty_plugins.distribution.immediate_release",
    "offduty_plugins.distribution.seniority",
    "offduty_plugins.distribution.sequencing",
    "offduty_plugins.distribution.bidding",
    "offduty_plugins.distribution.fairness",
)


def get_plugin_manager(*, builtins: Iterable[str] | None = None, entry_points: bool = True,
                       extra: Iterable[Any] = ()) -> pluggy.PluginManager:
    """Build a plugin manager: specs, built-ins, entry points, then ``extra`` plugins.

    ``builtins`` replaces :data:`BUILTIN_PLUGINS` (the core's defaults are always kept);
    ``entry_points=False`` skips installed plugins, the seed agencies among them (isolated
    tests).  An entry point that cannot load is set aside in ``pm.offduty_broken``
    (``{name: reason}``); a built-in or ``extra`` plugin that cannot load raises
    :class:`PluginError`, since the caller named it.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.offduty_broken = {}  # type: ignore[attr-defined]
    names = list(BUILTIN_PLUGINS if builtins is None else builtins)
    if "offduty_core.defaults" not in names:
        names.insert(0, "offduty_core.defaults")
    for name in names:
        _register(pm, importlib.import_module(name), name)
    if entry_points:
        for ep in _entry_points():
            source = "entry point" if ep.dist is None else (
                "built-in" if ep.dist.name == "offduty" else f"{ep.dist.name} {ep.dist.version}")
            try:
                plugin = ep.load()
                if hasattr(plugin, "__dict__") and not isinstance(plugin, type):
                    try:
                        plugin.__offduty_source__ = source
                    except (AttributeError, TypeError):
                        pass
                _register(pm, plugin, ep.name)
            except Exception as exc:  # a third party's plugin: set aside, never fatal
                pm.offduty_broken[ep.name] = f"{source}: {_one_line(exc)}"  # type: ignore[attr-defined]
    for plugin in extra:
        _register(pm, plugin, None)
    return pm


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(eps, key=lambda ep: (ep.dist.name if ep.dist else "", ep.name))


def _register(pm: pluggy.PluginManager, plugin: Any, name: str | None) -> None:
    """Register ``plugin``, refusing (and unregistering) one that implements an unknown hook."""
    if name is not None and pm.get_plugin(name) is not None:
        return
    try:
        pm.register(plugin, name=name)
    except ValueError:
        return  # the same object registered already (an entry point of a built-in module)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"invalid plugin {name or plugin!r}: {_one_line(exc)}") from exc
    known = {n for n in pm.hook.__dict__ if getattr(pm.hook, n).has_spec()}
    for hook in pm.get_hookcallers(plugin) or []:
        if hook.name in known:
            continue
        impls = [i for i in hook.get_hookimpls() if i.plugin is plugin and not i.optionalhook]
        if impls:
            pm.unregister(plugin)
            close = difflib.get_close_matches(hook.name, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PluginError(f"invalid plugin {name or plugin!r}: "
                              f"unknown hook {hook.name!r}{hint}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, OffdutyError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@attrs.frozen
class AgencyEntry:
    """An installed agency: its spec as its plugin returned it, the plugin, where it came
    from, and ``broken``: why it cannot be used (None when it can)."""

    info: AgencyInfo | None
    plugin: Any
    source: str
    spec: AgencySpec | None = None
    broken: str | None = None
    name: str = ""


class Registry:
    """The installed agencies and their compiled rules, over one plugin manager."""

    def __init__(self, pm: pluggy.PluginManager | None = None):
        self.pm = pm if pm is not None else get_plugin_manager()
        self._rules: dict[str, AgencyRules] = {}

    @cached_property
    def _all(self) -> dict[str, AgencyEntry]:
        found: dict[str, AgencyEntry] = {}
        for plugin_name, reason in sorted(getattr(self.pm, "offduty_broken", {}).items()):
            found[plugin_name] = AgencyEntry(info=None, plugin=None, source="entry point", broken=reason,
                                             name=plugin_name)
        for impl in self.pm.hook.offduty_agency.get_hookimpls():
            source = getattr(impl.plugin, "__offduty_source__", None) or "built-in"
            label = impl.plugin_name
            try:
                spec = impl.function()
                if not isinstance(spec, AgencySpec):
                    raise PluginError(f"offduty_agency returned {type(spec).__name__}, expected AgencySpec")
            except Exception as exc:
                found[label] = AgencyEntry(info=None, plugin=impl.plugin, source=source, name=label,
                                           broken=f"plugin {label!r} failed in offduty_agency: {_one_line(exc)}")
                continue
            if spec.name in found and found[spec.name].broken is None:
                raise PluginError(f"agency {spec.name!r} is defined twice: by {found[spec.name].source} "
                                  f"and by plugin {label!r}")
            found[spec.name] = AgencyEntry(info=spec.info, plugin=impl.plugin, source=source, spec=spec,
                                           name=spec.name)
        return dict(sorted(found.items()))

    @property
    def agencies(self) -> dict[str, AgencyEntry]:
        """The agencies that can be used, by name."""
        return {n: e for n, e in self._all.items() if e.broken is None}

    @property
    def broken(self) -> dict[str, AgencyEntry]:
        """Plugins that could not be loaded, by name, with the reason."""
        return {n: e for n, e in self._all.items() if e.broken is not None}

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
        others = [e.plugin for n, e in self._all.items()
                  if n != name and e.plugin is not None and e.plugin is not entry.plugin]
        return _SubsetHooks(self.pm, others)

    def rules(self, name: str) -> AgencyRules:
        """``name``'s compiled rules (compiled once)."""
        found = self._rules.get(name)
        if found is None:
            found = self._rules[name] = self._compile(name)
        return found

    def _entry(self, name: str) -> AgencyEntry:
        entry = self._all.get(name)
        if entry is None:
            installed = ", ".join(self.agencies) or "none"
            close = difflib.get_close_matches(name, list(self.agencies), n=1) if isinstance(name, str) else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError("agency", name, f"installed agencies: {installed}{hint}")
        if entry.broken is not None:
            raise PluginError(f"agency {name!r} cannot be used: {entry.broken}")
        return entry

    def _compile(self, name: str) -> AgencyRules:
        entry = self._entry(name)
        hooks = self.hooks_for(name)
        spec = entry.spec
        for impl in reversed(hooks.offduty_adjust_spec.get_hookimpls()):
            try:
                adjusted = impl.function(spec)
            except OffdutyError:
                raise
            except Exception as exc:
                raise PluginError(f"agency {name!r}: plugin {impl.plugin_name!r} failed in offduty_adjust_spec: "
                                  f"{_one_line(exc)}") from exc
            if adjusted is None:
                continue
            if not isinstance(adjusted, AgencySpec) or adjusted.name != name:
                raise PluginError(f"agency {name!r}: plugin {impl.plugin_name!r}: offduty_adjust_spec must return "
                                  f"the same agency's AgencySpec or None")
            spec = adjusted
        return compile_rules(spec, categories=self.categories, source=entry.source, hooks=hooks)

    def self_check(self, name: str) -> list[Finding]:
        rules = self.rules(name)
        findings: list[Finding] = []
        for impl in reversed(rules.hooks.offduty_self_check.get_hookimpls()):
            findings.extend(rules.call(impl, "offduty_self_check", agency=rules.info, spec=rules.spec) or ())
        if rules.holidays is not None and "holiday" not in rules.classes and not rules.has_rate_hook:
            findings.append(Finding(check="holidays", ok=False,
                                    message="a holiday calendar is set, but the rate table has no 'holiday' class "
                                            "and no offduty_rate_class hook picks classes on holidays"))
        for tier in rules.spec.notice.all_tiers():
            findings.append(Finding(check=f"notice.{tier.rate_class}", ok=True,
                                    message=f"under {tier.below.total_seconds() / 3600:g} h notice: billed at {tier.rate_class}"))
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


def isolated_registry(*plugins: Any) -> Registry:
    """A registry holding the core's defaults and ``plugins`` only (modules or import names)."""
    objects = [importlib.import_module(p) if isinstance(p, str) else p for p in plugins]
    # Keep the built-ins that define no agency (defaults, distribution methods).
    builtins = [name for name in BUILTIN_PLUGINS if not name.startswith("offduty_plugins.agencies.")]
    return Registry(get_plugin_manager(builtins=builtins, entry_points=False, extra=objects))
