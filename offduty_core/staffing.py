"""How an agency hands out one category's jobs, as a value of its spec.

:class:`DistributionConfig` names a registered distribution method and its parameters, the
group a shift is first posted to, and when it opens to back-up agencies' officers.  It is a
field of :class:`~offduty_core.spec.AgencySpec` (``distribution={category: config}``); the
methods themselves are in :mod:`offduty_core.distribution` and the plugins.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar, Mapping

import attrs

from .errors import InputError

#: The method a category uses when the spec names none.
DEFAULT_METHOD = "immediate-release"
#: The longest window, release or look-back a method may set, in hours (a leap year).
MAX_HOURS = 8784


def _hours_delta(value: Any, field: str) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or not 0 <= value <= MAX_HOURS:
        raise InputError(field, value, f"give hours as a number from 0 to {MAX_HOURS} (a year)")
    return timedelta(hours=float(value))


@attrs.frozen(kw_only=True)
class DistributionConfig:
    """How an agency distributes one category's shifts.

    ``method``: a registered method name; ``params``: its parameters (see the method's
    module docstring); ``group``: a qualification the first posting stage is limited to
    (``None``: all the agency's officers); ``backup_agencies``: agencies whose officers may
    take the shift from the second stage; ``release_after`` / ``release_before_start``: when
    the second stage opens (after this long since posting, or this long before the start if
    still unfilled; the earlier of the two).
    """

    method: str = DEFAULT_METHOD
    # Compared, but not hashed (a dict is not hashable; equal configs still hash equal).
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=lambda m: dict(m or {}), hash=False)
    group: str | None = None
    backup_agencies: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    release_after: timedelta | None = attrs.field(default=None, converter=lambda v: _hours_delta(v, "release_after"))
    release_before_start: timedelta | None = attrs.field(
        default=None, converter=lambda v: _hours_delta(v, "release_before_start"))

    def __attrs_post_init__(self) -> None:
        staged = bool(self.group or self.backup_agencies)
        timed = self.release_after is not None or self.release_before_start is not None
        if staged and not timed:
            raise InputError("distribution.release_after", None,
                             "a group or back-up agencies need release_after or release_before_start "
                             "(when the shift opens beyond the first group)")
        if timed and not staged:
            raise InputError("distribution.backup_agencies", [], "release_after/release_before_start need "
                             "backup_agencies or a group to release the shift to")

    @property
    def staged(self) -> bool:
        return bool(self.group or self.backup_agencies)

    FIELDS: ClassVar[tuple[str, ...]] = ("method", "params", "group", "backup_agencies", "release_after_hours",
                                         "release_before_start_hours")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field: str = "distribution") -> "DistributionConfig":
        """From plain data (a scenario file, the CLI): hours as numbers, unknown keys refused."""
        if not isinstance(data, Mapping):
            raise InputError(field, data, "must be a table/object")
        for key in data:
            if key not in cls.FIELDS:
                raise InputError(f"{field}.{key}", data[key], f"unknown field; fields are {', '.join(cls.FIELDS)}")
        backups = data.get("backup_agencies", ())
        if isinstance(backups, str) or not all(isinstance(b, str) for b in backups):
            raise InputError(f"{field}.backup_agencies", backups, "must be a list of agency names")
        params = data.get("params", {})
        if not isinstance(params, Mapping):
            raise InputError(f"{field}.params", params, "must be a table/object of parameters")
        method = data.get("method", DEFAULT_METHOD)
        if not isinstance(method, str):
            raise InputError(f"{field}.method", method, "must be a method name such as 'seniority'")
        return cls(method=method, params=params, group=data.get("group"), backup_agencies=tuple(backups),
                   release_after=_hours_delta(data.get("release_after_hours"), f"{field}.release_after_hours"),
                   release_before_start=_hours_delta(data.get("release_before_start_hours"),
                                                     f"{field}.release_before_start_hours"))



