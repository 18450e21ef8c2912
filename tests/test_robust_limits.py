"""docs/limits.md states the bounds the code enforces: each number here appears there."""

from __future__ import annotations

from pathlib import Path

import pytest

from offduty_core import limits
from offduty_simulations import ranges

PAGE = (Path(__file__).resolve().parent.parent / "docs" / "limits.md").read_text()
ROWS = [line for line in PAGE.splitlines() if line.startswith("| ")]


def number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


@pytest.mark.parametrize("key", sorted(ranges.RANGES))
def test_every_scenario_range_is_documented(key):
    low, high = ranges.RANGES[key]
    last = key.rsplit(".", 1)[-1]
    rows = [r for r in ROWS if f"`{key}`" in r or (f"`.{last}`" in r and key.split(".")[0] in r)
            or (f"`{last}`" in r and key.split(".")[0] in r)]
    assert rows, f"{key} is not in docs/limits.md"
    assert any(number(low) in r and number(high) in r for r in rows), (key, low, high, rows)


@pytest.mark.parametrize("value, text", [
    (limits.MAX_POSITIONS, "200 in all"), (limits.MAX_SHIFT_HOURS, "72 hours"), (limits.MAX_EVENTS, "| 1,000 |"),
    (limits.MAX_STORY_BYTES, "1,000,000 bytes"), (limits.MAX_STORIES_BYTES, "100,000,000 bytes"),
    (limits.MAX_ROSTER_BYTES, "5,000,000 bytes"), (limits.MAX_HISTORY_BYTES, "25,000,000 bytes"),
    (limits.MAX_SCENARIO_BYTES, "1,000,000 bytes"), (limits.MAX_JSON_DEPTH, "deeper than 64"),
    (limits.MAX_PROBLEMS, "first 50"), (limits.MIN_YEAR, "years 1900 to 2200"), (limits.MAX_YEAR, "1900 to 2200"),
])
def test_the_core_limits_are_documented(value, text):
    assert (number(value) in text or str(value) in text) and text in PAGE
