"""Scenario files: validation, misspelled keys, the shipped scenarios, overrides."""

from __future__ import annotations

import pytest

from offduty_simulations import scenario as S
from sim_helpers import SCENARIOS, small


def test_misspelled_key_is_refused_by_name_with_the_closest_key():
    with pytest.raises(S.UnknownKey) as info:
        S.loads("[demand.categories.security]\nlead_tme_days = 3\n")
    message = str(info.value)
    assert "'demand.categories.security.lead_tme_days'" in message
    assert "did you mean 'demand.categories.security.lead_time_days'?" in message


@pytest.mark.parametrize("text, key, suggestion", [
    ("[agencyy]\n", "agencyy", "agency"),
    ("[officers]\nsupervisor_shar = 0.1\n", "officers.supervisor_shar", "officers.supervisor_share"),
    ("[officers.acceptance]\nweekend_ = -1\n", "officers.acceptance.weekend_", "officers.acceptance.weekend"),
    ("[[demand.standing]]\nweekday = [1]\n", "demand.standing[0].weekday", "demand.standing[0].weekdays"),
    ("[changes]\ncancel_rat = 0.1\n", "changes.cancel_rat", "changes.cancel_rate"),
])
def test_unknown_keys_everywhere(text, key, suggestion):
    with pytest.raises(S.UnknownKey) as info:
        S.loads(text)
    assert repr(key) in str(info.value) and repr(suggestion) in str(info.value)


@pytest.mark.parametrize("text, field", [
    ("[officers]\nsupervisor_share = 1.5\n", "officers.supervisor_share"),
    ("[demand]\nmonth = [1, 2, 3]\n", "demand.month"),
    ("[agency]\nname = \"chandler\"\n", "agency.name"),
    ("[demand.categories.securty]\n", "category"),
    ("[distribution]\nmethod = \"seniorty\"\n", "distribution.method"),
    ("[distribution.categories.security]\nmethod = \"seniority\"\nparams = { window_hourz = 3 }\n",
     "distribution.params.window_hourz"),
    ("[officers]\nschedules = { \"5x9\" = 1.0 }\n", "officers.schedules.5x9"),
    ("[demand.categories.security]\nlead_time_days = { median = -1 }\n", "median"),
])
def test_bad_values_name_their_field(text, field):
    with pytest.raises(S.ScenarioError) as info:
        S.loads(text)
    assert field in str(info.value)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_load(path):
    sc = S.load(path)
    assert sc.agency.name == path.stem
    assert sc.agency.days == 365


def test_every_seed_agency_has_a_scenario():
    from offduty_core import default_registry

    builtin = {n for n, e in default_registry().agencies.items() if e.source == "built-in"}
    assert builtin <= {p.stem for p in SCENARIOS.glob("*.toml")}


def test_every_field_is_documented():
    rows = S.describe()
    assert len(rows) > 80
    assert all(doc for _, _, doc in rows)
    assert any(key == "changes.cancel_rate" for key, _, _ in rows)


def test_overrides_validate_again_and_round_trip():
    sc = S.from_dict(small())
    assert S.from_dict(S.to_dict(sc)) == sc
    moved = sc.with_overrides({"fees.admin_fee_pct": 12.5, "distribution.method": "fairness"})
    assert moved.fees.admin_fee_pct == 12.5 and moved.distribution.method == "fairness"
    with pytest.raises(S.UnknownKey):
        sc.with_overrides({"fees.admin_fee": 3})
