"""The distribution layer's defaults, registered as a built-in plugin (``trylast``).

An agency plugin overrides them by implementing the same hooks; the host
(:mod:`offduty_core.distribution`) falls back to the same answers when this module is not
registered.
"""

from __future__ import annotations

from .distribution import DistributionConfig, default_qualifications
from .hookspecs import hookimpl
from .model import AgencyInfo


@hookimpl(trylast=True)
def offduty_distribution(agency: AgencyInfo, category: str) -> DistributionConfig:
    return DistributionConfig()


@hookimpl(trylast=True)
def offduty_qualification_for(agency: AgencyInfo, category: str, role: str) -> frozenset[str]:
    return default_qualifications(category, role)
