"""A simulation scenario: validated, frozen parameters loaded from TOML.

A scenario is the *Param* of Param -> Model -> Runner -> DataFrame.  Every section is a
frozen attrs class; every field has a default and a ``doc`` (``offduty_simulations.scenario
.describe()`` prints them all).  Loading refuses a key the scenario does not know, naming it
with its full dotted path and the closest known key::

    scenario: unknown key 'demand.categories.security.lead_tme_days'; did you mean 'lead_time_days'?

Distributions are small tables:

* ``{ median = 7, sigma = 1.0 }`` (optionally ``min``/``max``) is a log-normal (lead times,
  days to pay), clipped to ``[min, max]``.
* ``{ values = [4, 6, 8], weights = [2, 3, 5] }`` is a discrete choice (durations, officers
  per request); weights need not sum to 1.  A bare number is that value always.
* ``{ mean = 2.0 }`` is an exponential.

Times are hours (floats) unless a field's name says otherwise; dates are ISO strings.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Mapping

import attrs

from offduty_core.errors import InputError

from . import ranges
from .scenario_fields import (
    MAX_DAYS, MAX_SIGMA, Choice, Exponential, LogNormal, ScenarioError, UnknownKey, _check_keys, dist_field, doc,
)
from .scenario_sections import (
    SCHEDULES, METHODS, PAYMENT_METHODS, MONTH_DEFAULT, WEEKDAY_DEFAULT, HOUR_DEFAULT, AgencySection, Acceptance,
    OfficersSection, CategoryDemand, StandingPost, SchoolSection, EventsSection, DemandSection, ChangesSection,
    PaymentSection, MethodChoice, DistributionSection, FeesSection,
)


@attrs.frozen(kw_only=True)
class Scenario:
    name: str = doc("a label for reports", default="scenario")
    description: str = doc("free text", default="")
    agency: AgencySection = doc("[agency]", factory=AgencySection, nested=AgencySection)
    officers: OfficersSection = doc("[officers]", factory=OfficersSection, nested=OfficersSection)
    demand: DemandSection = doc("[demand]", factory=DemandSection, nested=DemandSection)
    changes: ChangesSection = doc("[changes]", factory=ChangesSection, nested=ChangesSection)
    payment: PaymentSection = doc("[payment]", factory=PaymentSection, nested=PaymentSection)
    distribution: DistributionSection = doc("[distribution]", factory=DistributionSection,
                                            nested=DistributionSection)
    fees: FeesSection = doc("[fees]", factory=FeesSection, nested=FeesSection)
    base_dir: str = attrs.field(default="", metadata={"internal": True})

    def with_overrides(self, overrides: Mapping[str, Any], registry: Any = None) -> "Scenario":
        """A copy with dotted keys replaced (``{"fees.admin_fee_pct": 12}``), validated again
        (against ``registry``, as :func:`from_dict`).

        A method's parameters belong to it: changing ``distribution.method`` (or a category's
        ``method``) to another method drops the old one's ``params`` unless the same overrides
        give new ones, so a sweep over methods runs each with its documented defaults."""
        data = to_dict(self)
        for key, value in overrides.items():
            parts = key.split(".")
            node = data
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ScenarioError(key, value, f"{'.'.join(parts[:parts.index(part) + 1])} is not a table")
            if (parts[-1] == "method" and parts[0] == "distribution" and node.get("method") != value
                    and ".".join(parts[:-1] + ["params"]) not in overrides):
                node.pop("params", None)
            node[parts[-1]] = value
        try:
            return from_dict(data, base_dir=self.base_dir, registry=registry)
        except UnknownKey as exc:
            # Name the override as given ("nope.key"), not only its first unknown part.
            for key in overrides:
                if key == exc.field or key.startswith(exc.field + "."):
                    raise UnknownKey(key, exc.suggestion, exc.known) from None
            raise


# --- loading ---------------------------------------------------------------------------------


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and math.isfinite(v))


def _is_whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


#: A field's annotation -> (is this value of that type, what to give instead).
_TYPES = {
    "int": (_is_whole, "give a whole number"),
    "float": (_is_number, "give a finite number"),
    "bool": (lambda v: isinstance(v, bool), "give true or false"),
    "str": (lambda v: isinstance(v, str), "give a text string"),
    "date": (lambda v: isinstance(v, (str, date)), "give an ISO date such as '2027-01-01'"),
    "tuple[float, ...]": (lambda v: isinstance(v, (list, tuple)) and all(map(_is_number, v)),
                          "give a list of finite numbers"),
    "tuple[int, ...]": (lambda v: isinstance(v, (list, tuple)) and all(map(_is_whole, v)),
                        "give a list of whole numbers"),
    "tuple[str, ...]": (lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
                        "give a list of text strings"),
    "tuple[tuple[date, date], ...]": (
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in v),
        "give a list of [first day, last day] pairs, e.g. [[\"2027-01-05\", \"2027-05-28\"]]"),
    "Mapping[str, float]": (lambda v: isinstance(v, Mapping) and all(map(_is_number, v.values())),
                            "give a table of finite numbers"),
}


def _check_type(annotation: str, value: Any, field: str) -> None:
    """Refuse a value of the wrong type for a field annotated ``annotation`` (``X | None``
    also takes None), naming the field."""
    base, optional = annotation, False
    if annotation.endswith(" | None"):
        base, optional = annotation[: -len(" | None")], True
    if value is None and optional:
        return
    check = _TYPES.get(base)
    if check is not None and not check[0](value):
        raise ScenarioError(field, value, check[1])


def _convert(f: attrs.Attribute, value: Any, field: str) -> Any:
    """``f``'s converter applied to ``value``, its errors naming the field's dotted key."""
    try:
        return f.converter(value)
    except UnknownKey as exc:
        raise UnknownKey(f"{field}.{exc.field}", f"{field}.{exc.suggestion}" if exc.suggestion else None,
                         exc.known) from None
    except ScenarioError as exc:
        inner = exc.field
        if inner in ("distribution", "date", f.name) or field.endswith(inner):
            raise ScenarioError(field, exc.value, exc.allowed) from None
        raise ScenarioError(f"{field}.{inner}", exc.value, exc.allowed) from None
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an integer past any float
        raise ScenarioError(field, value, str(exc)) from None


def _build(cls: type, data: Any, path: str, pattern: str | None = None) -> Any:
    """``cls`` from the table ``data`` at dotted key ``path`` (``pattern``: the same key with
    ``NAME`` and ``[]`` for table names and list items, the key of :data:`ranges.RANGES`)."""
    pattern = path if pattern is None else pattern
    if not isinstance(data, Mapping):
        raise ScenarioError(path or "scenario", data, "must be a table")
    fields = {f.name: f for f in attrs.fields(cls) if not f.metadata.get("internal")}
    _check_keys(data, fields, path)
    kwargs = {}
    plain: list[tuple[str, str, str]] = []  # (name, key, pattern) of the values checked against ranges
    for key, value in data.items():
        f = fields[key]
        sub = f"{path}.{key}" if path else key
        sub_pattern = f"{pattern}.{key}" if pattern else key
        try:
            if "nested" in f.metadata:
                value = _build(f.metadata["nested"], value, sub, sub_pattern)
            elif "mapping_of" in f.metadata:
                if not isinstance(value, Mapping):
                    raise ScenarioError(sub, value, "must be a table of tables")
                value = {k: _build(f.metadata["mapping_of"], v, f"{sub}.{k}", f"{sub_pattern}.NAME")
                         for k, v in value.items()}
            elif "list_of" in f.metadata:
                if not isinstance(value, (list, tuple)):
                    raise ScenarioError(sub, value, f"must be a list of tables: [[{sub}]]")
                if len(value) > 1000:
                    raise ScenarioError(sub, f"{len(value)} tables", "give at most 1000")
                value = tuple(_build(f.metadata["list_of"], v, f"{sub}[{i}]", f"{sub_pattern}[]")
                              for i, v in enumerate(value))
            else:
                _check_type(f.type, value, sub)
                if f.converter is not None:
                    value = _convert(f, value, sub)
                plain.append((key, sub, sub_pattern))
        except ScenarioError:
            raise
        kwargs[key] = value
    try:
        built = cls(**kwargs)
    except ScenarioError as exc:
        if exc.field.startswith(path) or not path or exc.field == "scenario":
            raise
        raise ScenarioError(f"{path}.{exc.field}", exc.value, exc.allowed) from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise ScenarioError(path or "scenario", data, str(exc)) from None
    # The ranges, once the field's own checks passed (their messages are the more specific).
    clipped = {}
    for name, key, key_pattern in plain:
        value = getattr(built, name)
        checked = ranges.check(key_pattern, key, value, ScenarioError)
        if checked is not value:
            clipped[name] = checked
    return attrs.evolve(built, **clipped) if clipped else built


def from_dict(data: Mapping[str, Any], base_dir: str | Path = "", registry: Any = None) -> Scenario:
    """Build and validate a scenario.  The agency, categories and methods are checked against
    ``registry`` (an :class:`offduty_core.Registry`; default: the installed plugins), so a
    scenario may name an agency from a plugin manager of your own (see
    :func:`offduty_simulations.runner.replicate`)."""
    scenario = _build(Scenario, data, "")
    scenario = attrs.evolve(scenario, base_dir=str(base_dir))
    _check_against_registry(scenario, registry)
    return scenario


def load(path: str | Path, registry: Any = None) -> Scenario:
    """Read and validate a scenario TOML file."""
    from offduty_core.limits import MAX_SCENARIO_BYTES
    from offduty_core.readers import read_text

    path = Path(path)
    return loads(read_text(path, "--scenario", MAX_SCENARIO_BYTES), base_dir=path.parent, registry=registry)


def loads(text: str, base_dir: str | Path = "", registry: Any = None) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("scenario", "TOML", f"is not valid TOML: {exc}") from None
    except (RecursionError, ValueError) as exc:  # arrays nested thousands deep, integers of 4,300+ digits
        raise ScenarioError("scenario", "TOML", f"holds values no scenario needs ({type(exc).__name__}: "
                                                f"{' '.join(str(exc).split())[:100]})") from None
    if not data:
        raise ScenarioError("scenario", "an empty file", "give at least [agency] name and a [demand] section "
                                                         "(`offduty scenario` lists every key and its default)")
    return from_dict(data, base_dir=base_dir, registry=registry)


def _check_against_registry(scenario: Scenario, registry: Any = None) -> None:
    if registry is None:
        from offduty_core import default_registry

        registry = default_registry()
    if scenario.agency.name not in registry.agencies:
        names = list(registry.agencies)
        close = difflib.get_close_matches(scenario.agency.name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; installed: {', '.join(names)}"
        raise ScenarioError("agency.name", scenario.agency.name, f"no such agency plugin{hint}")
    known = registry.categories
    used = set(scenario.demand.categories) | {p.category for p in scenario.demand.standing}
    used |= set(scenario.distribution.categories)
    if scenario.demand.school.schools:
        used.add(scenario.demand.school.category)
    if scenario.demand.events.per_year:
        used.add(scenario.demand.events.category)
    for category in sorted(used):
        if category not in known:
            close = difflib.get_close_matches(category, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError("category", category, f"categories are {', '.join(sorted(known))}{hint}")
    # Each method and its parameters, validated by the method plugin itself.
    from offduty_core.distribution import DistributionConfig, method_class

    for category, config in scenario.distribution.overrides().items():
        field = f"distribution.categories.{category}" if category != "*" else "distribution"
        try:
            parsed = DistributionConfig.from_dict(config, field)
            method_class(registry.pm, parsed.method)(scenario.agency.name, parsed.params)
        except InputError as exc:
            if isinstance(exc, ScenarioError):
                raise
            # The core names a method's parameters and release times "distribution....": name
            # the scenario's own key (e.g. distribution.categories.security.params.window_hours).
            name = exc.field
            if name.startswith("distribution.") and not name.startswith(field + "."):
                name = field + name[len("distribution"):]
            if name.endswith((".release_after", ".release_before_start")):
                name += "_hours"
            raise ScenarioError(name, exc.value, exc.allowed) from None
    if not scenario.officers.roster:
        # A generated officer holds no qualification but "sso": any other group is a first
        # stage open to nobody (the shift would silently wait for its release time).
        for category, choice in sorted(scenario.distribution.categories.items()):
            if choice.group is not None and choice.group != "sso":
                raise ScenarioError(f"distribution.categories.{category}.group", choice.group,
                                    "generated officers hold only the 'sso' qualification; use group = \"sso\", "
                                    "leave group out, or give a roster CSV (officers.roster) whose officers "
                                    "hold it")
    _check_backups(scenario, registry, used)


def _check_backups(scenario: Scenario, registry: Any, used: set[str]) -> None:
    """Back-up agencies name installed agencies; a category's back-up agency has officers on a
    generated roster (a roster CSV is checked when it is read: :func:`backup_without_officers`);
    generated back-up officers have a category that opens to them."""
    names = list(registry.agencies)
    home = scenario.agency.name

    def unknown(field: str, name: str) -> ScenarioError:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; installed: {', '.join(names)}"
        return ScenarioError(field, name, f"no such agency plugin{hint}")

    generated = scenario.officers.backup_agencies
    for name in generated:
        if name == home:
            raise ScenarioError(f"officers.backup_agencies.{name}", generated[name],
                                f"{name!r} is the simulated agency (agency.name); its own officers are "
                                "officers.count, back-up officers belong to other agencies")
        if name not in registry.agencies:
            raise unknown("officers.backup_agencies", name)
    for category, choice in sorted(scenario.distribution.categories.items()):
        for name in choice.backup_agencies:
            if name not in registry.agencies:
                raise unknown(f"distribution.categories.{category}.backup_agencies", name)
    if scenario.officers.roster:
        return
    problem = backup_without_officers(scenario, {home} | {a for a, n in generated.items() if n > 0})
    if problem is not None:
        raise problem
    # Generated back-up officers nobody may call on would silently do nothing.
    called = {a for choice in scenario.distribution.categories.values() for a in choice.backup_agencies}
    idle = [a for a, n in sorted(generated.items()) if n > 0 and a not in called]
    if idle and scenario.distribution.method is None:
        # Categories the scenario leaves to the agency plugin's own configuration.
        from offduty_core.distribution import config_for

        rules = registry.rules(home)
        for category in sorted(used - set(scenario.distribution.categories)):
            called |= set(config_for(rules, category).backup_agencies)
        idle = [a for a in idle if a not in called]
    if idle:
        name = idle[0]
        raise ScenarioError(f"officers.backup_agencies.{name}", generated[name],
                            f"no category opens its shifts to {name}, so these officers could never take one; "
                            f"list it in a category's back-up agencies with a release time, e.g. "
                            f"[distribution.categories.special_event] backup_agencies = [\"{name}\"], "
                            f"release_before_start_hours = 48")


def backup_without_officers(scenario: Scenario, agencies: Any) -> ScenarioError | None:
    """The error for the first back-up agency a ``[distribution.categories.NAME]`` lists that
    has no officer among ``agencies`` (the roster's agencies), else None: a back-up stage open
    to nobody would silently do nothing."""
    for category, choice in sorted(scenario.distribution.categories.items()):
        for name in choice.backup_agencies:
            if name == scenario.agency.name or name in agencies:
                continue
            if scenario.officers.roster:
                fix = f"add {name}'s officers to the roster CSV ({scenario.officers.roster})"
            else:
                fix = (f"generate some with officers.backup_agencies = {{ \"{name}\" = 20 }} "
                       "(a generated roster holds only the agency's own officers otherwise)")
            return ScenarioError(f"distribution.categories.{category}.backup_agencies", name,
                                 f"no officer of {name} is on the roster, so the back-up stage would open "
                                 f"to nobody; {fix}, or remove it from backup_agencies")
    return None


def to_dict(obj: Any) -> Any:
    """The scenario as plain TOML-able data (dates as ISO strings, None left out)."""
    if attrs.has(type(obj)):
        out = {}
        for f in attrs.fields(type(obj)):
            if f.metadata.get("internal"):
                continue
            value = to_dict(getattr(obj, f.name))
            if value is not None:
                out[f.name] = value
        return out
    if isinstance(obj, Mapping):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, float) and obj == float("inf"):
        return None
    return obj


def describe(cls: type = Scenario, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, documentation) for every field: the scenario reference."""
    rows = []
    for f in attrs.fields(cls):
        if f.metadata.get("internal"):
            continue
        key = f"{prefix}{f.name}"
        if "nested" in f.metadata:
            rows.append((key, "(section)", f.metadata["doc"]))
            rows.extend(describe(f.metadata["nested"], key + "."))
        elif "mapping_of" in f.metadata:
            rows.append((key + ".NAME", "(section)", f.metadata["doc"]))
            rows.extend(describe(f.metadata["mapping_of"], key + ".NAME."))
        elif "list_of" in f.metadata:
            rows.append((f"[[{key}]]", "(list)", f.metadata["doc"]))
            rows.extend(describe(f.metadata["list_of"], key + "[]."))
        else:
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            rows.append((key, repr(to_dict(default)), f.metadata.get("doc", "")))
    return rows


#: ``offduty sweep`` options: option name -> the scenario key it varies.  Kept here (not in
#: runner.py) so the CLI can build its parser without importing pandas.
SWEEP_AXES = {
    "admin_fee_pct": "fees.admin_fee_pct",
    "rate_multiplier": "fees.rate_multiplier",
    "daily_cap": "fees.daily_cap",
    "weekly_cap": "fees.weekly_cap",
    "monthly_cap": "fees.monthly_cap",
    "method": "distribution.method",
}


__all__ = ["Acceptance", "AgencySection", "CategoryDemand", "ChangesSection", "Choice", "DemandSection", "DistributionSection", "EventsSection", "Exponential", "FeesSection", "HOUR_DEFAULT", "LogNormal", "MAX_DAYS", "MAX_SIGMA", "METHODS", "MONTH_DEFAULT", "MethodChoice", "OfficersSection", "PAYMENT_METHODS", "PaymentSection", "SCHEDULES", "SWEEP_AXES", "Scenario", "ScenarioError", "SchoolSection", "StandingPost", "UnknownKey", "WEEKDAY_DEFAULT", "backup_without_officers", "describe", "dist_field", "doc", "from_dict", "load", "loads", "to_dict"]
