"""``offduty new-agency NAME``: write an installable agency plugin package.

The package holds a ``pyproject.toml`` with the ``offduty`` entry point, the plugin module
with every hook it may override shown with its documentation (the hook list is read from the
specs, so it is never out of date), a test file using the :mod:`offduty_core.testing` harness
with golden money files already recorded, and a README.  It installs and passes its own
tests untouched; the author then copies the rate sheet into it.
"""

from __future__ import annotations

import inspect
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

#: Hooks the scaffold implements for real; every other hook is shown returning None.
IMPLEMENTED = ("offduty_agency", "offduty_rate_table")


def _spec_functions() -> list:
    from . import hookspecs
    from .plugins import _extra_spec_modules

    modules = [hookspecs, *_extra_spec_modules()]
    out = []
    for module in modules:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("offduty_") and fn.__module__ == module.__name__:
                out.append(fn)
    return sorted(out, key=lambda f: (f.__module__ != "offduty_core.hookspecs", inspect.getsourcelines(f)[1]))


def _stub(fn) -> str:
    params = ", ".join(inspect.signature(fn).parameters)
    doc = textwrap.indent(inspect.cleandoc(fn.__doc__ or ""), "    ")
    return (f"@hookimpl\ndef {fn.__name__}({params}):\n    \"\"\"{doc.strip()}\n    \"\"\"\n"
            f"    return None  # None: the core's default\n")


def module_name(name: str) -> str:
    return "offduty_agency_" + name.replace("-", "_")


def _module_text(info: AgencyInfo) -> str:
    stubs = "\n\n".join(_stub(fn) for fn in _spec_functions() if fn.__name__ not in IMPLEMENTED)
    return f'''"""{info.title}: offduty agency plugin.

Written by ``offduty new-agency {info.name}``.  Copy the agency's rate sheet into the hooks
below: ``offduty_agency`` and ``offduty_rate_table`` are required; every other hook returns
None, which means "the core's default" (see each docstring, and
docs/writing-an-agency-plugin.md in the offduty repository), so implement only what the rate
sheet says differently.  Then run ``offduty check-agency {info.name}`` and the tests.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from offduty_core import Refusal, hookimpl
from offduty_core.calendars import HolidayCalendar
from offduty_core.model import AgencyInfo
from offduty_core.rules import (Applies, CancellationPolicy, ChangeHandling, ChargeRule, CityCharge, FeeHours,
                                Finding, HourCaps, NoticeRule, PaymentTerms, RateClass, RateTable, ShareHours,
                                SupervisorRule)


@hookimpl
def offduty_agency():
    """Who this agency is: its name (used by stories and the CLI), title and time zone."""
    return AgencyInfo(name={info.name!r}, title={info.title!r}, timezone={info.timezone!r},
                      subdivision={info.subdivision!r})


@hookimpl
def offduty_rate_table(agency):
    """The rate sheet: what the vendor is billed per hour (total) and the officer's share.

    TODO: copy the agency's published rates.  ``published_fee`` is the admin fee as the sheet
    states it (0.10 for "rate + 10 %"); the self-check compares share x (1 + fee) with total.
    """
    return RateTable(classes=(
        RateClass(name="regular", label="Regular", total="55.00", share="50.00", published_fee="0.10"),
    ))


{stubs}'''


def _test_text(info: AgencyInfo, module: str) -> str:
    return f'''"""Tests for the {info.name} plugin, using offduty's plugin-author harness."""

from offduty_core.billing import bill
from offduty_core.story import parse_story

offduty_plugin = {module!r}


def test_self_check_finds_no_differences(offduty_registry):
    findings = offduty_registry.self_check({info.name!r})
    assert [f.message for f in findings if not f.ok] == []


def test_bills_a_four_hour_shift(offduty_registry):
    story = parse_story({{"agency": {info.name!r}, "request": {{
        "id": "R-1", "vendor": "Corner Store", "category": "security", "received_at": "2027-03-01T09:00",
        "start": "2027-03-10T10:00", "end": "2027-03-10T14:00"}}}}, offduty_registry)
    result = bill(story.rules, story.request, story.events)
    assert str(result.vendor_total) == "220.00"  # 4 h x 55.00
    assert str(result.officer_pay_total) == "200.00"  # 4 h x 50.00


def test_traffic_money_is_unchanged(offduty_traffic, offduty_golden):
    """A seeded stream of stories billed through the plugin, compared with the golden file.

    After a deliberate rule change, review the diff and run ``pytest --offduty-regen``.
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

Edit `{module}.py`: copy the rate sheet into `offduty_rate_table` and implement only the hooks
where the sheet differs from offduty's defaults (each hook's docstring says what it does and
what the default is). Update `tests/test_{module}.py` with bills you computed by hand.

`tests/goldens/` holds the money a seeded stream of 150 stories produced when the package was
written. When a rule change moves money, the traffic test fails with a diff (which requests,
which lines, by how much, and the payroll per officer and week); review it, then run
`pytest --offduty-regen` to record the new figures and commit them.
'''


def create(name: str, directory: Path, title: str | None = None, timezone: str | None = None,
           state: str | None = None) -> Path:
    """Write the plugin package for agency ``name`` under ``directory``; return its folder."""
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
    _record_goldens(root, module, name)
    return root


def _record_goldens(root: Path, module: str, name: str) -> None:
    """Run the new plugin's traffic once and store the golden file its test compares with."""
    import importlib.util
    import sys

    from .testing import Golden, isolated_registry, run_traffic

    spec = importlib.util.spec_from_file_location(module, root / f"{module}.py")
    plugin = importlib.util.module_from_spec(spec)
    sys.modules[module] = plugin
    try:
        spec.loader.exec_module(plugin)
        result = run_traffic(isolated_registry(plugin), name, seed=1, requests=150)
    finally:
        sys.modules.pop(module, None)
    golden = root / "tests" / "goldens" / f"test_{module}" / "test_traffic_money_is_unchanged.json"
    Golden(golden, regen=True).check(result)
