"""``offduty new-agency NAME``: write an installable agency plugin package.

The package holds a ``pyproject.toml`` with the ``offduty`` entry point; the plugin module,
whose whole rate sheet is one ``SPEC = AgencySpec(...)`` value with placeholder rates marked
TODO and every optional field shown, commented out, with an example; a test file using the
:mod:`offduty_core.testing` harness; and a README.  It installs and passes its own tests
untouched.

No golden money file is written at creation: goldens recorded from placeholder rates would
only pin figures nobody checked.  While the module still says ``PLACEHOLDER_RATES = True``
the traffic test skips and says what to do; once the author has copied the rate sheet and
cleared the marker, ``pytest --offduty-regen`` records the first goldens from real rates.
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from pathlib import Path

from .errors import InputError
from .model import AgencyInfo

#: The time zone most of a state is in (the author can change it in the module).
STATE_TIMEZONES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
    "CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu", "ID": "America/Boise",
    "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis", "IA": "America/Chicago",
    "KS": "America/Chicago", "KY": "America/New_York", "LA": "America/Chicago", "ME": "America/New_York",
    "MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver", "NE": "America/Chicago",
    "NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York", "NM": "America/Denver",
    "NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York", "RI": "America/New_York",
    "SC": "America/New_York", "SD": "America/Chicago", "TN": "America/Chicago", "TX": "America/Chicago",
    "UT": "America/Denver", "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver", "DC": "America/New_York",
}

#: The name of the module-level flag that marks a generated module's rates as placeholders.
PLACEHOLDER_MARKER = "PLACEHOLDER_RATES"

#: The message the generated traffic test skips with while the marker is set.
SKIP_MESSAGE = ("placeholder rates: fill in the rates from the agency's rate sheet, set "
                "PLACEHOLDER_RATES = False, then record goldens with pytest --offduty-regen")

#: Hooks the generated module implements for real; the others are listed as comments.
IMPLEMENTED = ("offduty_agency",)


def _spec_functions() -> list:
    """Every hook in :mod:`offduty_core.hookspecs`, in the order the module defines them."""
    from . import hookspecs

    found = [fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("offduty_") and fn.__module__ == hookspecs.__name__]
    return sorted(found, key=lambda f: inspect.getsourcelines(f)[1])


def _hook_comment(fn) -> str:
    """A hook as a commented-out implementation: its signature and the first paragraph of its
    documentation (read from the spec, so the list is never out of date)."""
    params = ", ".join(inspect.signature(fn).parameters)
    doc = inspect.cleandoc(fn.__doc__ or "").split("\n\n")[0]
    lines = ["# @hookimpl", f"# def {fn.__name__}({params}):"]
    lines += ["#     " + line for line in textwrap.wrap(" ".join(doc.split()), 88)]
    return "\n".join(lines)


def _q(value: str | None) -> str:
    """A string as a double-quoted Python literal (None as None)."""
    return "None" if value is None else json.dumps(value)


def module_name(name: str) -> str:
    return "offduty_agency_" + name.replace("-", "_")


def _module_text(info: AgencyInfo) -> str:
    others = "\n#\n".join(_hook_comment(fn) for fn in _spec_functions() if fn.__name__ not in IMPLEMENTED)
    return f'''"""{info.title}: offduty agency plugin.

Written by ``offduty new-agency {info.name}``.  The agency's whole rate sheet is one value,
``SPEC`` below.  Its rates are PLACEHOLDERS (every line marked TODO): replace them with the
agency's published rates, uncomment the optional fields the sheet sets (each shows an
example; a field left out takes the core's default), then set ``PLACEHOLDER_RATES = False``.
docs/writing-an-agency-plugin.md in the offduty repository explains every field.

Then: ``offduty check-agency {info.name}``, replace the hand-computed bill in the tests, and
``pytest --offduty-regen`` once to record the golden money files from the real rates.
"""

from __future__ import annotations

from offduty_core import hookimpl
from offduty_core.calendars import HolidayCalendar  # noqa: F401  (used by the commented examples)
from offduty_core.spec import (  # noqa: F401
    AgencySpec, Applies, CancellationPolicy, ChangeHandling, ChargeRule, DistributionConfig, Extra, FeeHours,
    HourCaps, NoticeRule, NoticeTier, PaymentTerms, Per, RateClass, RateSplits, ShareHours, SupervisorRule,
)

#: TODO: set to False once SPEC holds the agency's published rates.  While it is True the
#: golden traffic test skips: money recorded from placeholder rates would pin nothing real.
{PLACEHOLDER_MARKER} = True

SPEC = AgencySpec(
    name={_q(info.name)},
    title={_q(info.title)},
    timezone={_q(info.timezone)},  # IANA zone: local midnights, holidays and notice are read in it
    subdivision={_q(info.subdivision)},  # the state, for holiday dates
    rates=(
        # TODO: fill from the rate sheet (PLACEHOLDER rates).  total: what the vendor is billed
        # an hour; share: the officer's part of it (the admin fee is the difference), in whole
        # cents.  published_fee: the fee as the sheet states it ("rate + 10 %" -> "0.10"), so
        # that `offduty check-agency` compares share x (1 + fee) with total; leave it out if the
        # sheet states none.  Add the sheet's other lines the same way, e.g.
        #   RateClass(name="supervisor", label="Supervisor", total="66.00", share="60.00"),
        #   RateClass(name="holiday", label="Holiday", total="82.50", share="75.00"),
        #   RateClass(name="emergency", label="Short notice", total="82.50", share="75.00"),
        RateClass(name="regular", label="Regular", total="55.00", share="50.00", published_fee="0.10"),  # TODO
    ),

    # --- Optional: uncomment what the rate sheet says; every value here is an example. ---

    # Per-hour (or per-slot, per-request) lines beside the rate; city_share is owed to the city.
    # extras=(
    #     Extra(name="vehicle", label="Vehicle", total="6.60", city_share="6.00", applies=Applies.VEHICLE),
    #     Extra(name="booking", label="Booking fee", total="25.00", per=Per.REQUEST),
    # ),

    # Days billed at the "holiday" rate class (keys: offduty_core.calendars.KNOWN_KEYS).
    # holidays=HolidayCalendar(keys=("new_years_day", "independence_day", "thanksgiving", "christmas_day"),
    #                          subdivision={_q(info.subdivision)}, recurring={{"08-01": "Founders' Day"}}),

    # Minimum billed hours per officer slot: one number, or {{"officer": 2, "supervisor": 3}}.
    # minimum_hours=2,

    # Notice: refuse under 24 h; bill under 72 h at the "emergency" class (add it to rates).
    # notice=NoticeRule(refuse_below=24, tiers=(NoticeTier(below=72, rate_class="emergency"),)),

    # Add a supervisor when 4 or more officers are requested without one.
    # supervisor=SupervisorRule(officers_at_least=4),

    # Work the agency's officers may not do, and dates with no off-duty work.
    # prohibited={{"liquor_establishment": "no work at bars"}},
    # prohibited_dates={{"12-31": "all officers on duty"}},

    # Cancellations: within 48 h, the greater of hours worked and the minimum at the total rate.
    # cancellation=CancellationPolicy(
    #     window=48,
    #     inside=ChargeRule(share_hours=ShareHours.WORKED_OR_MINIMUM, fee_hours=FeeHours.SAME,
    #                       label="the minimum at the total rate"),
    #     outside=ChargeRule(label="no charge"),
    # ),

    # Where rates change within a shift (a night differential; overtime after 10 h):
    # rate_splits=RateSplits(at=("23:00", "07:00"), after_hours=(10,)),

    # Officers' off-duty hour caps and rest; invoice and payroll terms.
    # caps=HourCaps(daily=12, weekly=30, min_rest=8),
    # terms=PaymentTerms(net_days=15),

    # How each category's shifts reach officers, and what qualifications they need.
    # distribution={{"*": DistributionConfig(method="seniority", params={{"window_hours": 48}})}},
    # qualifications={{"school_safety": ("sso",), "traffic_control": ("flagger",)}},
)


@hookimpl
def offduty_agency() -> AgencySpec:
    """This plugin's agency: its whole rate sheet as one value."""
    return SPEC


# The other hooks: a plain rate sheet needs none of them.  Implement one only for what the
# sheet decides per request or per piece of work (a night rate, a vendor it refuses), or for
# a check of your own; docs/writing-an-agency-plugin.md shows an example of each.
#
{others}
'''


def _test_text(info: AgencyInfo, module: str) -> str:
    return f'''"""Tests for the {info.name} plugin, using offduty's plugin-author harness."""

import pytest

import {module} as plugin
from offduty_core.billing import bill
from offduty_core.story import parse_story

offduty_plugin = {module!r}

#: Set by the module while its rates are placeholders: no golden is recorded from them.
placeholder_rates = pytest.mark.skipif(getattr(plugin, {PLACEHOLDER_MARKER!r}, False), reason={SKIP_MESSAGE!r})


def test_self_check_finds_no_differences(offduty_registry):
    findings = offduty_registry.self_check({info.name!r})
    assert [f.message for f in findings if not f.ok] == []


def test_bills_a_four_hour_shift(offduty_registry):
    # TODO: replace with a bill you computed by hand from the rate sheet.
    story = parse_story({{"agency": {info.name!r}, "request": {{
        "id": "R-1", "vendor": "Corner Store", "category": "security", "received_at": "2027-03-01T09:00",
        "start": "2027-03-10T10:00", "end": "2027-03-10T14:00"}}}}, offduty_registry)
    result = bill(story.rules, story.request, story.events)
    assert str(result.vendor_total) == "220.00"  # 4 h x 55.00 (placeholder rate)
    assert str(result.officer_pay_total) == "200.00"  # 4 h x 50.00 (placeholder share)


@placeholder_rates
def test_traffic_money_is_unchanged(offduty_traffic, offduty_golden):
    """A seeded stream of stories billed through the plugin, compared with the golden file.

    Record the golden once the rates are real: ``pytest --offduty-regen``.  After a deliberate
    rule change, review the diff this test prints, then run ``pytest --offduty-regen`` again.
    """
    offduty_golden.check(offduty_traffic({info.name!r}, seed=1, requests=150))
'''


def _pyproject_text(info: AgencyInfo, module: str) -> str:
    return f'''[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "offduty-agency-{info.name}"
version = "0.1.0"
description = "offduty agency plugin: {info.title}"
requires-python = ">=3.11"
dependencies = ["offduty"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points.offduty]
{info.name} = "{module}"

[tool.setuptools]
py-modules = ["{module}"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''


def _readme_text(info: AgencyInfo, module: str) -> str:
    return f'''# offduty-agency-{info.name}

The offduty agency plugin for {info.title}.

```sh
pip install -e .          # registers the plugin through the `offduty` entry point
offduty agencies          # lists {info.name}, with this distribution as its source
offduty check-agency {info.name}
offduty bill story.json   # a job story with "agency": "{info.name}"
pytest                    # self-check, a hand-computed bill, and the traffic golden file
```

`{module}.py` holds the agency's rate sheet as one value, `SPEC = AgencySpec(...)`. As
written, its rates are **placeholders** (marked TODO): copy the published rates into it,
uncomment the optional fields the sheet sets (each shows an example), and set
`PLACEHOLDER_RATES = False`. Then replace the bill in `tests/test_{module}.py` with one you
computed by hand from the sheet.

The traffic test bills a seeded stream of 150 stories and compares the money with a golden
file in `tests/goldens/`. None is written with the package: while `PLACEHOLDER_RATES` is
True the test skips. Once the rates are real, run `pytest --offduty-regen` to record the
golden, review it and commit it. When a later rule change moves money, the test fails with a
diff (which requests, which lines, by how much, and the payroll per officer and week); review
it, then run `pytest --offduty-regen` again.
'''


def create(name: str, directory: Path, title: str | None = None, timezone: str | None = None,
           state: str | None = None) -> Path:
    """Write the plugin package for agency ``name`` under ``directory``; return its folder.

    No golden file is recorded: the rates are placeholders until the author fills them in."""
    if state is None:
        match = re.search(r"-([a-z]{2})$", name)
        state = match.group(1).upper() if match else None
    if timezone is None:
        if state is None or state not in STATE_TIMEZONES:
            raise InputError("--timezone", None,
                             "give the agency's IANA time zone (or end the name with a US state, e.g. 'springfield-il')")
        timezone = STATE_TIMEZONES[state]
    if title is None:
        words = name.split("-")
        place = " ".join(w.capitalize() for w in (words[:-1] if state else words))
        title = f"{place} Police Department" + (f" ({state})" if state else "")
    info = AgencyInfo(name=name, title=title, timezone=timezone, subdivision=state)
    module = module_name(name)
    root = Path(directory) / f"offduty-agency-{name}"
    if root.exists() and any(root.iterdir()):
        raise InputError("NAME", name, f"{root} already exists and is not empty; choose another --dir")
    (root / "tests").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(_pyproject_text(info, module))
    (root / f"{module}.py").write_text(_module_text(info))
    (root / "conftest.py").write_text('pytest_plugins = ["offduty_core.testing"]\n')
    (root / "tests" / f"test_{module}.py").write_text(_test_text(info, module))
    (root / "README.md").write_text(_readme_text(info, module))
    return root
