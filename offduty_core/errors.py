"""Errors a user can act on.

Every error names the field (or rule), the value, and what is allowed.  The CLI prints
``str(error)`` as one line on stderr and exits 2.
"""

from __future__ import annotations


class OffdutyError(Exception):
    """Base class for every error offduty raises on bad input or a refused action."""


class InputError(OffdutyError, ValueError):
    """Malformed input: a field is missing, has the wrong type or an impossible value."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: {value!r} is not allowed; {allowed}")


class Refusal(OffdutyError):
    """An agency rule refuses a request or an event.

    ``agency`` and ``rule`` say who refused and under which rule; the message says why.
    """

    def __init__(self, agency: str, rule: str, reason: str):
        self.agency = agency
        self.rule = rule
        self.reason = reason
        super().__init__(f"{agency}: {reason} (rule {rule})")


class PluginError(OffdutyError):
    """A plugin is broken: a duplicate agency name, a hook returning the wrong type, ..."""


def short(value: object, width: int = 60) -> str:
    """``repr(value)`` cut to ``width`` characters, on one line (for messages)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def message(exc: BaseException) -> str:
    """The one line a user sees for ``exc``: its text on one line, an input error's value
    shortened."""
    text = str(exc)
    if isinstance(exc, InputError) and text == f"{exc.field}: {exc.value!r} is not allowed; {exc.allowed}":
        text = f"{exc.field}: {short(exc.value)} is not allowed; {exc.allowed}"
    text = " ".join(text.split())
    return text if len(text) <= 4000 else text[:3997] + "..."
