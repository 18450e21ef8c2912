"""``fairness``: a sign-up window; the applicant with the fewest off-duty hours wins.

Like ``seniority``, but applicants are ranked by their off-duty hours in the look-back
(fewest first), ties by seniority (earliest seniority date, then badge number); officers of
the first posting stage rank before back-up agencies' officers.  Hours count what is
scheduled and worked on local dates in the look-back, up to and including the day the window
closes (and the officers' ``history`` from the roster).  The others stay as back-ups; no
eligible applicant: released first come, first served.

Parameters
----------

``window_hours`` (number >= 0, default 24)
    How long the window stays open after posting.
``close_before_start_hours`` (number >= 0, default 2)
    The window closes at the latest this long before the start.
``lookback`` (``year_to_date`` | ``rolling_30_days`` | ``job_count``, default ``year_to_date``)
    Hours since 1 January, hours in the last 30 days (today included), or the number of
    jobs since 1 January.

Example::

    DistributionConfig(method="fairness", params={"lookback": "rolling_30_days"})
"""

from __future__ import annotations

from offduty_core import hookimpl
from offduty_core.distribution import Param, WindowMethod, lookback_text

LOOKBACKS = ("year_to_date", "rolling_30_days", "job_count")


class Fairness(WindowMethod):
    name = "fairness"
    summary = "sign-up window; the applicant with the fewest off-duty hours in the look-back wins"
    parameters = WindowMethod.WINDOW_PARAMS + (
        Param(name="lookback", kind=str, default="year_to_date", choices=LOOKBACKS,
              doc="hours year to date, hours in the last 30 days, or the job count year to date"),
    )

    def order_key(self, desk, posting, officer) -> tuple:
        return (desk.lookback(officer, self.params["lookback"]), self.seniority(officer))

    def basis(self, desk, posting, officer, n: int) -> str:
        value = desk.lookback(officer, self.params["lookback"])
        return (f"fewest off-duty hours of {n} applicant{'s' if n != 1 else ''} "
                f"({lookback_text(self.params['lookback'], value)})")


@hookimpl
def offduty_register_distribution_methods(register) -> None:
    register(Fairness.name, Fairness)
