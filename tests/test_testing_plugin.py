"""The plugin authors' pytest helper (offduty_core.testing): golden diffs read like invoices."""

from __future__ import annotations

import copy
import json

from offduty_core import default_registry
from offduty_core.billing import bill
from offduty_core.story import parse_story
from offduty_core.testing import TrafficResult, diff_goldens
from sim_helpers import ROOT


def golden(story: dict) -> dict:
    parsed = parse_story(story, default_registry())
    result = bill(parsed.rules, parsed.request, parsed.events, parsed.payment_method)
    return TrafficResult(agency=story["agency"], seed=0, stories=(story,), outcomes=(result,)).to_golden()


def test_card_fee_lines_show_their_amount_not_none_hours():
    story = json.loads((ROOT / "examples" / "wvc-emergency-release.json").read_text())  # paid by card
    longer = copy.deepcopy(story)
    longer["request"]["end"] = "2027-03-10T16:00"
    by_ach = copy.deepcopy(story)
    by_ach["payment"]["method"] = "ach"

    moved = diff_goldens(golden(story), golden(longer))
    assert "    ~ vendor card processing fee 3 % [platform:terms.card-fee]: 10.40 -> 15.60 (+5.20)" in moved
    assert ("    ~ vendor slot 0 (officer): Emergency hours [west-valley-city-ut:early-release.full-shift]: "
            "4.00 h x 85.50 = 342.00 -> 6.00 h x 85.50 = 513.00 (+171.00)") in moved
    dropped = diff_goldens(golden(story), golden(by_ach))
    assert "    - vendor card processing fee 3 % [platform:terms.card-fee]: 10.40" in dropped
    assert not any("None" in line for line in moved + dropped)
