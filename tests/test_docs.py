"""The project stands on its own: its docs state each seed agency's rate sheet, with the
figures the plugins bill, and nothing cites documents a clone does not have."""

from __future__ import annotations

import importlib
import re

import pytest

from sim_helpers import ROOT

SEEDS = ("chandler_az", "grantsville_ut", "lynnwood_wa", "west_valley_city_ut")


def agency_sections() -> dict[str, str]:
    text = (ROOT / "docs" / "agencies.md").read_text()
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return {m.group(1): part for part in parts if (m := re.search(r"\(`([a-z-]+)`\)", part.splitlines()[0]))}


@pytest.mark.parametrize("module", SEEDS)
def test_each_seed_agency_has_its_sheet_with_the_figures_it_bills(module):
    spec = importlib.import_module(f"offduty_plugins.agencies.{module}").SPEC
    section = agency_sections()[spec.name]
    assert "**Sheet followed:**" in section and "effective" in section
    assert spec.timezone in section
    figures = [r.total for r in spec.rates.classes] + [r.share for r in spec.rates.classes]
    figures += [e.total for e in spec.extras] + [e.city_share for e in spec.extras]
    missing = [str(f) for f in figures if not re.search(rf"(?<![\d.]){re.escape(str(f))}(?!\d)", section)]
    assert missing == []
    (minimum,) = set(spec.minimum_hours.values())
    assert f"{minimum:f} hours per request" in section
    hours = spec.cancellation.window.total_seconds() / 3600
    assert f"(window {hours:g} h)" in section or f"(window {hours / 24:g} days)" in section


def test_nothing_cites_documents_outside_the_project():
    outside = re.compile(r"DOMAIN\.md|seeds/[\w-]+\.txt")
    files = [p for p in ROOT.rglob("*") if p.suffix in {".py", ".md", ".toml", ".ipynb", ".txt", ".cfg"}
             and not {".venv", ".git", "build"} & set(p.relative_to(ROOT).parts) and p.name != "test_docs.py"]
    assert [str(p.relative_to(ROOT)) for p in files if outside.search(p.read_text(errors="replace"))] == []
