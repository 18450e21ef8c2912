"""``immediate-release``: first come, first served.

Every eligible officer in the posting's audience sees the shift at once; the first to accept
gets it.  With a group or back-up agencies (see :class:`~offduty_core.distribution.DistributionConfig`)
the audience widens when the back-up stage opens.

Parameters
----------

``jobs_per_day`` (whole number >= 1, default none)
    At most this many off-duty jobs starting on one local day per officer (counting jobs
    already booked that day); none: no limit beyond the agency's hour caps.

Example::

    DistributionConfig(method="immediate-release", params={"jobs_per_day": 1})
"""

from __future__ import annotations

from offduty_core import hookimpl
from offduty_core.distribution import DistributionMethod, Param
from offduty_core.eligibility import JobsPerDay, Rule


class ImmediateRelease(DistributionMethod):
    name = "immediate-release"
    summary = "all eligible officers see it at once; the first to accept gets it"
    parameters = (
        Param(name="jobs_per_day", kind=int, default=None, minimum=1, optional=True,
              doc="at most this many off-duty jobs per officer per local day (none: no limit)"),
    )

    def rules(self) -> tuple[Rule, ...]:
        limit = self.params["jobs_per_day"]
        return (JobsPerDay(limit),) if limit is not None else ()

    def on_post(self, desk, posting) -> None:
        desk.release(posting, "")

    def preference(self, desk, posting, officers):
        return list(officers)


@hookimpl
def offduty_register_distribution_methods(register) -> None:
    register(ImmediateRelease.name, ImmediateRelease)
