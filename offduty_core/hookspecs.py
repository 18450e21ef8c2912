"""Every hook an offduty plugin can implement, in one place.

An *agency plugin* is a module (or object) that implements :func:`offduty_agency`.  The core
calls the other agency hooks for one agency at a time, with the other agencies' plugins left
out (``PluginManager.subset_hook_caller``), so an agency module never has to check which
agency it is being asked about; plugins that define no agency (extensions) see every
agency's calls and can tell them apart by the ``agency`` argument.

``firstresult`` hooks pick one answer: the first non-``None`` result wins.  pluggy calls
implementations last-registered-first (LIFO), and the core's defaults
(:mod:`offduty_core.defaults`) are ``trylast``, so an agency plugin overrides a default by
implementing the hook and returns ``None`` to fall through to it.  Hooks that are not
``firstresult`` collect every plugin's answer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .calendars import HolidayCalendar
    from .errors import Refusal
    from .model import AgencyInfo, Event, Request
    from .rules import (AgencyRules, CancellationPolicy, CityCharge, Finding, HourCaps, NoticeRule,
                        PaymentTerms, RateTable, SupervisorRule)

PROJECT = "offduty"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- identity and registration ----------------------------------------------------------


@hookspec
def offduty_agency() -> "AgencyInfo":
    """Return the :class:`~offduty_core.model.AgencyInfo` this plugin defines.

    Called once per plugin when the plugin manager is built.  A plugin that implements it is
    an agency plugin (one agency per plugin object); its other hooks are then called only for
    that agency.  Names must be unique across installed plugins.
    """


@hookspec
def offduty_register_categories(register: Callable[[str], None]) -> None:
    """Add job categories to the core's list by calling ``register("name")``.

    Called once when the plugin manager is built, for every plugin.  Category names are
    lower-case words joined by underscores.
    """


# --- money ------------------------------------------------------------------------------


@hookspec(firstresult=True)
def offduty_rate_table(agency: "AgencyInfo") -> "RateTable | None":
    """Return the agency's :class:`~offduty_core.rules.RateTable` (rate classes with total
    and officer share, and the class each role bills at).

    Called once when the agency's rules are resolved.  Required: the core has no rates.
    """


@hookspec(firstresult=True)
def offduty_city_charges(agency: "AgencyInfo") -> "Sequence[CityCharge] | None":
    """Return the hourly lines owed to the city (vehicle, workers' comp), each a
    :class:`~offduty_core.rules.CityCharge`.  Default: none."""


@hookspec(firstresult=True)
def offduty_holiday_calendar(agency: "AgencyInfo") -> "HolidayCalendar | None":
    """Return the :class:`~offduty_core.calendars.HolidayCalendar` billed at the Holiday rate.
    Default: no holidays."""


@hookspec(firstresult=True)
def offduty_rate_class(agency: "AgencyInfo", rates: "RateTable", request: "Request", role: str,
                       day: date, start: datetime, holiday: str | None, emergency: bool) -> str | None:
    """Return the rate class name for a piece of ``role``'s billed time.

    Called for every piece of billed time: pieces are split at local midnight (``day`` is
    the local date) and at any boundary from :func:`offduty_rate_boundaries`; ``start`` is the
    piece's local start.  ``holiday`` is the name of the agency's listed holiday on ``day``
    (or None); ``emergency`` says the request had less notice than the emergency threshold.
    Default: of the role's class, ``holiday`` (on a holiday) and the emergency class (on an
    emergency request), the one with the highest total ("where several rates apply to one
    hour, the highest wins").
    """


@hookspec
def offduty_rate_boundaries(agency: "AgencyInfo", request: "Request", start: datetime,
                            end: datetime) -> "Iterable[datetime] | None":
    """Return extra instants at which billed time ``[start, end)`` is split before rates are
    picked, for rates that change within a day (a night differential from 22:00, an
    overtime rate after 8 hours in a shift).  Every plugin's instants are used.  Default:
    none (time is split at local midnight only)."""


@hookspec(firstresult=True)
def offduty_minimum_hours(agency: "AgencyInfo", request: "Request", role: str) -> "Decimal | None":
    """Return the minimum hours billed per officer slot of ``request`` for ``role``.
    Default: 0 (no minimum)."""


# --- validation -------------------------------------------------------------------------


@hookspec(firstresult=True)
def offduty_notice_rule(agency: "AgencyInfo") -> "NoticeRule | None":
    """Return the :class:`~offduty_core.rules.NoticeRule` (refuse below, emergency below).
    Default: any notice is accepted at the normal rates."""


@hookspec(firstresult=True)
def offduty_prohibited_categories(agency: "AgencyInfo") -> "Mapping[str, str] | None":
    """Return ``{category: reason}`` for job categories the agency's officers may not work.
    Default: none."""


@hookspec(firstresult=True)
def offduty_supervisor_rule(agency: "AgencyInfo") -> "SupervisorRule | None":
    """Return the :class:`~offduty_core.rules.SupervisorRule` that adds a supervisor position
    to large requests.  Default: none."""


@hookspec
def offduty_check_request(agency: "AgencyInfo", request: "Request", rules: "AgencyRules") -> "Refusal | None":
    """Return a :class:`~offduty_core.errors.Refusal` to refuse ``request``, or None.

    Called for every request after the core's own checks (category, prohibited categories,
    notice, roles offered).  Every plugin's answer is collected; the first refusal wins.
    """


@hookspec
def offduty_check_event(agency: "AgencyInfo", request: "Request", event: "Event",
                        rules: "AgencyRules") -> "Refusal | None":
    """Return a :class:`~offduty_core.errors.Refusal` to refuse a job ``event`` (a cancellation
    by phone, say), or None.  Called for every event before it is applied."""


# --- changes and cancellations ----------------------------------------------------------


@hookspec(firstresult=True)
def offduty_cancellation_policy(agency: "AgencyInfo") -> "CancellationPolicy | None":
    """Return the :class:`~offduty_core.rules.CancellationPolicy`: window, charges inside and
    outside it, accepted channels, early-release and start-time-change handling.
    Default: free cancellation at any time, early release billed as worked."""


@hookspec(firstresult=True)
def offduty_unfilled_alert(agency: "AgencyInfo") -> "timedelta | None":
    """Return how long before the start the vendor is alerted that a shift is still
    unfilled (Chandler: 24 h).  Default: no alert."""


# --- officers and payment ---------------------------------------------------------------


@hookspec(firstresult=True)
def offduty_hour_caps(agency: "AgencyInfo") -> "HourCaps | None":
    """Return the :class:`~offduty_core.rules.HourCaps` (daily, weekly, monthly off-duty hour
    caps, minimum rest, week-start day).  Default: 16 h a day, 8 h rest, weeks from Monday."""


@hookspec(firstresult=True)
def offduty_payment_terms(agency: "AgencyInfo") -> "PaymentTerms | None":
    """Return the :class:`~offduty_core.rules.PaymentTerms`.  Default: the platform's net 30,
    1.5 % a month late charge, 3 % card fee, ACH and check free, officers paid weekly."""


# --- self-check -------------------------------------------------------------------------


@hookspec
def offduty_self_check(agency: "AgencyInfo", rules: "AgencyRules") -> "Iterable[Finding] | None":
    """Return :class:`~offduty_core.rules.Finding` items about the agency's own consistency
    (``offduty check-agency``).  Every plugin's findings are collected; the core contributes
    the generic ones (share plus fee equals total, published fee percentages)."""
