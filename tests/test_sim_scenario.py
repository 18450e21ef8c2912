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
     "distribution.categories.security.params.window_hourz"),
    ("[officers]\nschedules = { \"5x9\" = 1.0 }\n", "officers.schedules.5x9"),
    ("[demand.categories.security]\nlead_time_days = { median = -1 }\n", "median"),
])
def test_bad_values_name_their_field(text, field):
    with pytest.raises(S.ScenarioError) as info:
        S.loads(text)
    assert field in str(info.value)


# Found by stress scenarios: each of these crashed with a traceback (TypeError / ValueError
# deep in the model), was silently accepted (clamped or ignored), or named the wrong key.
@pytest.mark.parametrize("text, message", [
    ("[agency]\ndays = 10.5\n", "agency.days: 10.5 is not allowed; give a whole number"),
    ("[agency]\nyear = \"2027\"\n", "agency.year: '2027' is not allowed; give a whole number"),
    ("[agency]\nname = 5\n", "agency.name: 5 is not allowed; give a text string"),
    ("[agency]\nstart = \"9999-12-29\"\ndays = 5\n", "agency.start: '9999-12-29' is not allowed"),
    ("[agency]\nyear = 0\n", "agency.year: 0 is not allowed"),
    # Huge numbers overflowed the calendar or Decimal deep in the model.
    ("[demand.categories.security]\nlead_time_days = 1e7\n", "demand.categories.security.lead_time_days: 1"),
    ("[[demand.standing]]\nlead_days = 1e7\n", "demand.standing[0].lead_days: 1"),
    ("[demand.school]\nlead_days = 1e9\n", "demand.school.lead_days: 1"),
    ("[payment]\ndays_to_pay = 1e7\n", "payment.days_to_pay: 1"),
    ("[fees]\nrate_multiplier = 1e300\n", "fees.rate_multiplier: 1e+300 is not allowed; must be <= 1000"),
    ("[fees]\nadmin_fee_pct = 1e300\n", "fees.admin_fee_pct: 1e+300 is not allowed"),
    ("[distribution.categories.security]\nmethod = \"fairness\"\nparams = { window_hours = 1e9 }\n",
     "distribution.categories.security.params.window_hours: 1000000000.0 is not allowed; must be <= 8784"),
    ("[distribution.categories.security]\nmethod = \"seniority\"\nparams = { close_before_start_hours = nan }\n",
     "distribution.categories.security.params.close_before_start_hours: nan is not allowed"),
    ("[distribution.categories.security]\nmethod = \"sequencing\"\nparams = { response_minutes = 1e300 }\n",
     "distribution.categories.security.params.response_minutes: 1e+300 is not allowed"),
    ("[distribution.categories.security]\ngroup = \"sso\"\nrelease_before_start_hours = 1e9\n",
     "distribution.categories.security.release_before_start_hours: 1000000000.0 is not allowed"),
    ("[officers]\ncount = 3.5\n", "officers.count: 3.5 is not allowed; give a whole number"),
    ("[officers]\ncount = true\n", "officers.count: True is not allowed"),
    ("[officers]\nroster = 5\n", "officers.roster: 5 is not allowed"),
    ("[officers]\nviews_per_hour = inf\n", "officers.views_per_hour: inf is not allowed"),
    ("[officers]\nmax_applicants = -1\n", "officers.max_applicants: -1 is not allowed; must be >= 1"),
    ("[officers.acceptance]\nbase = \"high\"\n", "officers.acceptance.base: 'high' is not allowed"),
    ("[officers.acceptance]\nalways = \"yes\"\n", "officers.acceptance.always: 'yes' is not allowed; give true"),
    ("[demand]\nelasticity = \"high\"\n", "demand.elasticity: 'high' is not allowed"),
    ("[demand.categories.security]\nrequests_per_week = inf\n",
     "demand.categories.security.requests_per_week: inf is not allowed"),
    ("[demand.categories.security]\nvendors = 0\n", "demand.categories.security.vendors: 0 is not allowed"),
    ("[demand.categories.security]\nduration_hours = -4\n",
     "demand.categories.security.duration_hours: -4.0 is not allowed; must be > 0"),
    ("[demand.categories.security]\nlead_time_days = { values = [-2] }\n",
     "demand.categories.security.lead_time_days: -2.0 is not allowed; must be from 0 to 3660 days"),
    ("[demand.categories.security]\nofficers = 0\n", "demand.categories.security.officers: 0.0 is not allowed"),
    ("[demand.categories.security]\nlead_time_days = { median = 3, sigam = 1 }\n",
     "'demand.categories.security.lead_time_days.sigam'; did you mean "
     "'demand.categories.security.lead_time_days.sigma'?"),
    ("[demand.categories.security]\nduration_hours = { values = [1, 2], weights = [1] }\n",
     "demand.categories.security.duration_hours.weights: [1.0] is not allowed"),
    ("[[demand.standing]]\nstart = \"evening\"\n", "demand.standing[0].start: 'evening' is not allowed; give a local"),
    ("[[demand.standing]]\nstart = \"25:00\"\n", "demand.standing[0].start: '25:00' is not allowed"),
    ("[[demand.standing]]\nweekdays = [8]\n", "demand.standing[0].weekdays: [8] is not allowed"),
    ("[[demand.standing]]\nofficers = 0\n", "demand.standing[0].officers: 0 is not allowed; must be >= 1"),
    ("[demand]\nstanding = { vendor = \"x\" }\n", "demand.standing: {'vendor': 'x'} is not allowed; must be a list"),
    ("[demand.school]\nstart = \"7am\"\n", "demand.school.start: '7am' is not allowed"),
    ("[demand.school]\nschools = -2\n", "demand.school.schools: -2 is not allowed"),
    ("[demand.school]\nterms = [[\"2027-05-01\", \"2027-01-01\"]]\n", "demand.school.terms: ['2027-05-01', '2027-01-01']"),
    ("[demand.events]\nstart_hour = 25\n", "demand.events.start_hour: 25.0 is not allowed"),
    ("[demand.events]\nofficers = 0\n", "demand.events.officers: 0.0 is not allowed"),
    ("[payment]\nmethods = { card = -1, ach = 2 }\n", "payment.methods.card: -1 is not allowed; must be >= 0"),
    ("[fees]\nadmin_fee_pct = nan\n", "fees.admin_fee_pct: nan is not allowed"),
    ("[fees]\nno_caps = \"yes\"\n", "fees.no_caps: 'yes' is not allowed"),
    ("[distribution.categories.security]\nmethod = \"random\"\n",
     "distribution.categories.security.method: 'random' is not allowed"),
    ("[distribution.categories.security]\nbackup_agencies = \"grantsville-ut\"\n",
     "distribution.categories.security.backup_agencies: 'grantsville-ut' is not allowed; give a list"),
    ("[distribution.categories.security]\ngroup = \"sso\"\n",
     "distribution.categories.security.release_after_hours: None is not allowed"),
])
def test_wrong_types_and_impossible_values_are_refused_by_key(text, message):
    with pytest.raises(S.ScenarioError) as info:
        S.loads(text)
    assert message in str(info.value)


def test_a_group_no_generated_officer_holds_is_refused():
    text = "[distribution.categories.security]\ngroup = \"ninja\"\nrelease_after_hours = 1\n"
    with pytest.raises(S.ScenarioError, match=r"distribution\.categories\.security\.group: 'ninja'"):
        S.loads(text)
    assert S.loads(text.replace("ninja", "sso")).distribution.categories["security"].group == "sso"


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


def test_an_empty_scenario_file_is_refused():
    with pytest.raises(S.ScenarioError, match="an empty file.*give at least \\[agency\\] name"):
        S.loads("")


def test_changing_the_method_drops_the_old_methods_params_unless_new_ones_are_given():
    base = S.from_dict({"agency": {"name": "chandler-az", "days": 5},
                      "distribution": {"method": "seniority", "params": {"close_before_start_hours": 2},
                                       "categories": {"security": {"method": "bidding",
                                                                   "params": {"order": "random"}}}}})
    assert base.with_overrides({"distribution.method": "seniority"}).distribution.params == {
        "close_before_start_hours": 2}
    assert base.with_overrides({"distribution.method": "fairness"}).distribution.params == {}
    given = base.with_overrides({"distribution.method": "fairness", "distribution.params": {"window_hours": 6}})
    assert given.distribution.params == {"window_hours": 6}
    moved = base.with_overrides({"distribution.categories.security.method": "sequencing"})
    assert moved.distribution.categories["security"].params == {}
    assert moved.distribution.params == {"close_before_start_hours": 2}


def test_an_unknown_override_is_named_in_full():
    base = S.from_dict({"agency": {"name": "chandler-az", "days": 5}})
    with pytest.raises(S.ScenarioError, match="unknown key 'nope.key'"):
        base.with_overrides({"nope.key": 1})
    with pytest.raises(S.ScenarioError, match="'agency.nme'; did you mean 'agency.name'"):
        base.with_overrides({"agency.nme": 1})


def test_a_missing_roster_file_is_named_by_its_scenario_key(tmp_path):
    import numpy as np

    from offduty_core import default_registry
    from offduty_simulations.fill import build_roster

    scenario = S.from_dict({"agency": {"name": "chandler-az", "days": 5}, "officers": {"roster": "nope.csv"}},
                           base_dir=tmp_path)
    with pytest.raises(S.ScenarioError, match="officers.roster: 'nope.csv'.*no such file"):
        build_roster(scenario, default_registry().rules("chandler-az"), np.random.default_rng(0))
