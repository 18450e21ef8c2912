"""Every hook an offduty plugin can implement, in one place.

An agency is data: an *agency plugin* implements :func:`offduty_agency` and returns one
:class:`~offduty_core.spec.AgencySpec`, its whole rate sheet.  The other hooks are for what
an agency decides per request or per piece of work (a rate class for a piece of time, an
extra check on a request or an event, extra eligibility rules), for its self-check, and for
registering things (categories, distribution methods) and adjusting another agency's spec.

The core calls the per-agency hooks for one agency at a time, with the other agencies'
plugins left out (``PluginManager.subset_hook_caller``), so an agency module never checks
which agency it is answering for; a plugin that defines no agency (an extension) sees every
agency's calls and tells them apart by the ``agency`` argument.  pluggy calls
implementations last-registered-first.  Hooks must be deterministic functions of their
arguments: billing, the simulator's seeds and the regression harness rely on it.  A hook
that raises is reported as one error naming the agency, the plugin and the hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .distribution import DistributionMethod
    from .eligibility import Rule
    from .errors import Refusal
    from .model import AgencyInfo, Event, Request
    from .rules import RatedPiece
    from .spec import AgencySpec, Finding, RateTable

PROJECT = "offduty"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- the agency and what it registers -----------------------------------------------------


@hookspec
def offduty_agency() -> "AgencySpec":
    """Return the :class:`~offduty_core.spec.AgencySpec` this plugin defines: the agency's
    identity and its whole rate sheet as one value.

    Called once per plugin when the registry is built.  A plugin that implements it is an
    agency plugin (one agency per plugin object); its other hooks are then called only for
    that agency.  Names must be unique across installed plugins.
    """


@hookspec
def offduty_adjust_spec(spec: "AgencySpec") -> "AgencySpec | None":
    """Return an adjusted copy of ``spec`` (``spec.evolve(...)``), or None to leave it.

    Called once per agency when its rules are compiled, for every plugin: how an extension
    plugin changes another agency's sheet (a local fee, a pilot's caps) without copying it.
    Each plugin sees the spec as the plugins before it left it.
    """


@hookspec
def offduty_register_categories(register: Callable[[str], None]) -> None:
    """Add job categories to the core's list by calling ``register("name")``.

    Called once when the registry is built, for every plugin.  Category names are lower-case
    words joined by underscores.
    """


@hookspec
def offduty_register_distribution_methods(register: "Callable[[str, type[DistributionMethod]], None]") -> None:
    """Register distribution methods by calling ``register(name, MethodClass)``.

    Called once per plugin manager, the first time a job board or ``offduty explain`` needs
    the methods, for every plugin.  ``MethodClass`` subclasses
    :class:`~offduty_core.distribution.DistributionMethod`; ``name`` is what a spec's
    :class:`~offduty_core.spec.DistributionConfig` names (``"seniority"``).  The host refuses
    a name registered twice, naming both plugins.  Returns nothing.
    """


# --- decisions per request or per piece of work -------------------------------------------


@hookspec(firstresult=True)
def offduty_rate_class(agency: "AgencyInfo", rates: "RateTable", request: "Request", role: str,
                       piece: "RatedPiece") -> "str | tuple[str, ...] | None":
    """Return the rate class for one piece of ``role``'s billed time, or a tuple of a base
    class and add-on classes billed on top of it; None falls through to the core.

    Billed time is cut at local midnight and at the spec's ``rate_splits`` (local times of
    day, hours after the start of the time worked) before this is asked, piece by piece.
    ``piece`` (:class:`~offduty_core.rules.RatedPiece`) has the local ``day``, ``start`` and
    ``end``, ``offset`` (seconds of the same interval worked before it), ``holiday`` (the
    listed holiday's label, or None), ``notice_class`` (the rate class of the request's
    notice tier, or None), and the slot's ``scheduled`` and ``worked`` intervals.  The core's
    answer: the highest of the role's class, ``holiday`` on a holiday and the notice tier's
    class, with add-on classes among them on top.
    """


@hookspec
def offduty_check_request(agency: "AgencyInfo", request: "Request", spec: "AgencySpec") -> "Refusal | None":
    """Return a :class:`~offduty_core.errors.Refusal` to refuse ``request``, or None.

    Called for every request after the core's own checks (category, prohibited categories
    and dates, notice, roles offered).  Every plugin's answer is collected; the first
    refusal wins.
    """


@hookspec
def offduty_check_event(agency: "AgencyInfo", request: "Request", event: "Event",
                        spec: "AgencySpec") -> "Refusal | None":
    """Return a :class:`~offduty_core.errors.Refusal` to refuse a job ``event`` (a cancellation
    by phone, say), or None.  Called for every event before it is applied; the core's own
    check enforces ``spec.cancellation``'s channels and request number."""


@hookspec
def offduty_eligibility_rules(agency: "AgencyInfo", register: "Callable[[Rule], None]") -> None:
    """Add agency-specific eligibility rules by calling ``register(rule)``.

    A rule has a ``name`` and ``check(officer, shift, book)`` returning None or a reason a
    coordinator can read (see :mod:`offduty_core.eligibility`; wrap a plain function with
    :class:`~offduty_core.eligibility.FunctionRule`).  Called once per agency when a job
    board first posts one of its shifts; the rules then apply, after the core's, to every
    officer considered for that agency's shifts.  Names must be unique.  Returns nothing.
    """


# --- self-check --------------------------------------------------------------------------


@hookspec
def offduty_self_check(agency: "AgencyInfo", spec: "AgencySpec") -> "Iterable[Finding] | None":
    """Return :class:`~offduty_core.spec.Finding` items about the agency's own consistency
    (``offduty check-agency``).  Every plugin's findings are collected; the core contributes
    the generic ones (share plus fee equals total, published fee percentages, holidays)."""
