"""``seniority``: a sign-up window; the most senior applicant wins.

Eligible officers in the posting's audience apply while the window is open.  When it closes,
the applicants are ranked by seniority (earliest seniority date, then badge number; officers
of the first posting stage before back-up agencies' officers) and the first one still
eligible is awarded.  The others stay, in that order, as back-ups: when the winner drops,
the first back-up still eligible gets the shift without a new window.  No applicant (or none
still eligible): the shift is released immediately, first come, first served.

Parameters
----------

``window_hours`` (number >= 0, default 24)
    How long the window stays open after posting.
``close_before_start_hours`` (number >= 0, default 2)
    The window closes at the latest this long before the start; a shift posted later than
    that is released first come, first served at once.

Example::

    DistributionConfig(method="seniority", params={"window_hours": 48})
"""

from __future__ import annotations

from offduty_core import hookimpl
from offduty_core.distribution import WindowMethod


class Seniority(WindowMethod):
    name = "seniority"
    summary = "sign-up window; the most senior applicant wins; the others are back-ups"
    parameters = WindowMethod.WINDOW_PARAMS
    basis_label = "most senior"

    def order_key(self, desk, posting, officer) -> tuple:
        return self.seniority(officer)

    def basis(self, desk, posting, officer, n: int) -> str:
        return (f"most senior of {n} applicant{'s' if n != 1 else ''} "
                f"(seniority date {officer.seniority_date})")


@hookimpl
def offduty_register_distribution_methods(register) -> None:
    register(Seniority.name, Seniority)
