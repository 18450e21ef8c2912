"""Hook specs of the distribution layer: methods, per-category configuration, eligibility.

Loaded by :func:`offduty_core.plugins.get_plugin_manager` next to :mod:`offduty_core.hookspecs`
(same ``hookspec`` marker, same project), so a plugin implements them with the usual
``from offduty_core import hookimpl``.  As with the core hooks, the agency hooks here are
called through the agency's own hook relay (``AgencyRules.hooks``): an agency plugin answers
only for itself; an extension plugin (one that defines no agency) sees every agency and can
tell them apart by ``agency``.  The core's fallbacks are in
:mod:`offduty_core.distribution_defaults` (``trylast``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from offduty_core.hookspecs import hookspec

if TYPE_CHECKING:  # pragma: no cover
    from .distribution import DistributionConfig, DistributionMethod
    from .eligibility import Rule
    from .model import AgencyInfo


@hookspec
def offduty_register_distribution_methods(register: "Callable[[str, type[DistributionMethod]], None]") -> None:
    """Register distribution methods by calling ``register(name, MethodClass)``.

    Called once per plugin manager, the first time a job board or ``offduty explain`` needs
    the methods, for every plugin.  ``MethodClass`` subclasses
    :class:`~offduty_core.distribution.DistributionMethod`; ``name`` is what an agency's
    :class:`~offduty_core.distribution.DistributionConfig` names (``"seniority"``).  The host
    refuses a name registered twice, naming both plugins.  Returns nothing.
    """


@hookspec(firstresult=True)
def offduty_distribution(agency: "AgencyInfo", category: str) -> "DistributionConfig | None":
    """Return the :class:`~offduty_core.distribution.DistributionConfig` for ``agency``'s
    ``category`` jobs: the method and its parameters, the first posting group, back-up
    agencies and when the shift opens to them.

    Called once per (agency, category) by a job board, when the first shift of that category
    is posted.  Return None to fall through (pluggy calls the agency's plugin before the
    defaults); the core's default is ``immediate-release`` with no group or back-ups.
    """


@hookspec(firstresult=True)
def offduty_qualification_for(agency: "AgencyInfo", category: str, role: str) -> "Iterable[str] | None":
    """Return the qualifications an officer needs for a ``role`` slot of a ``category`` job
    (every one is required), or None to fall through.

    Called when a shift is posted.  The core's default: ``{"sso"}`` for ``school_safety``,
    nothing otherwise.  (Rank is separate: a supervisor slot always needs supervisor rank.)
    """


@hookspec
def offduty_eligibility_rules(agency: "AgencyInfo", register: "Callable[[Rule], None]") -> None:
    """Add agency-specific eligibility rules by calling ``register(rule)``.

    A rule has a ``name`` and ``check(officer, shift, book)`` returning None or a reason a
    coordinator can read (see :mod:`offduty_core.eligibility`; wrap a plain function with
    :class:`~offduty_core.eligibility.FunctionRule`).  Called once per agency when a job
    board first posts one of its shifts; the rules then apply, after the core's, to every
    officer considered for that agency's shifts.  Names must be unique.  Returns nothing.
    """
