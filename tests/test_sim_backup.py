"""Back-up agencies in the simulator: generated officers of other agencies
(``officers.backup_agencies``) take a category's shifts only from its second posting stage,
under their home agency's caps; a back-up stage that would open to nobody is refused."""

from __future__ import annotations

import hashlib
import types
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from offduty_core import Registry, default_registry, get_plugin_manager, hookimpl
from offduty_core.spec import AgencySpec, HourCaps, RateClass
from offduty_simulations import demand, fill
from offduty_simulations.runner import replicate
from offduty_simulations.scenario import ScenarioError, from_dict

ROOT = Path(__file__).resolve().parents[1]
RELEASE_AFTER = 12.0
NO_CHANGES = {"cancel_rate": 0, "drop_rate": 0, "no_show_rate": 0, "start_change_rate": 0, "reduce_rate": 0,
              "early_release_rate": 0}


def scenario_data(backup: str = "grantsville-ut", count: int = 30, **extra) -> dict:
    """Ten days at Chandler: four always-free home officers, ``count`` generated officers of
    ``backup``; security shifts open to ``backup`` 12 h after posting, traffic shifts never."""
    data = {
        "name": "back-up agencies",
        "agency": {"name": "chandler-az", "days": 10},
        "officers": {"count": 4, "schedules": {"none": 1}, "backup_agencies": {backup: count}},
        "demand": {"categories": {
            "security": {"requests_per_week": 40, "lead_time_days": {"median": 3, "sigma": 0.3}},
            "traffic_control": {"requests_per_week": 15, "lead_time_days": {"median": 3, "sigma": 0.3}}}},
        "changes": NO_CHANGES,
        "distribution": {"method": "immediate-release",
                         "categories": {"security": {"method": "immediate-release", "backup_agencies": [backup],
                                                     "release_after_hours": RELEASE_AFTER}}},
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value}
    return data


@pytest.fixture(scope="module")
def out():
    return replicate(from_dict(scenario_data()), 1)


def with_officer_agency(out):
    agency = dict(zip(out.officers["badge"], out.officers["agency"]))
    return out.shifts.assign(officer_agency=out.shifts["officer"].map(agency))


# --- the roster ------------------------------------------------------------------------------


def roster(data: dict, seed: int = 5):
    sc = from_dict(data)
    return fill.build_roster(sc, fill.default_registry().rules(sc.agency.name), demand.streams(seed)["roster"])


def test_generated_backup_officers_follow_the_home_officers_who_stay_the_same():
    base = scenario_data()
    plain = {**base, "officers": {"count": 25}, "distribution": {"method": "immediate-release"}}
    mixed = {**base, "officers": {"count": 25, "backup_agencies": {"grantsville-ut": 200, "west-valley-city-ut": 3}},
             "distribution": {"method": "immediate-release", "categories": {"security": {
                 "backup_agencies": ["grantsville-ut", "west-valley-city-ut"], "release_after_hours": 1}}}}
    home, both = roster(plain), roster(mixed)
    assert list(both)[:25] == list(home)  # the home officers' draws come first, unchanged
    backups = list(both)[25:]
    assert [o.agency for o in backups] == ["grantsville-ut"] * 200 + ["west-valley-city-ut"] * 3
    assert [o.badge for o in backups[:2]] + [backups[-1].badge] == ["grantsville-ut-1", "grantsville-ut-2",
                                                                     "west-valley-city-ut-3"]
    assert not {o.badge for o in backups} & {o.badge for o in home}
    # The same rank, qualification and schedule mix as the home officers (15 % supervisors,
    # 10 % SSO and 5x8/4x10/pitman by default).
    grantsville = backups[:200]
    assert 10 <= sum(o.rank.value == "supervisor" for o in grantsville) <= 50
    assert 5 <= sum("sso" in o.qualifications for o in grantsville) <= 40
    assert {o.schedule.pattern for o in grantsville} == {"5x8", "4x10", "pitman"}


# --- the simulation --------------------------------------------------------------------------


def test_backup_officers_are_awarded_only_after_the_second_stage_opens(out):
    shifts = with_officer_agency(out)
    officers = out.officers
    assert set(officers["agency"]) == {"chandler-az", "grantsville-ut"}
    assert (officers["agency"] == "grantsville-ut").sum() == 30
    filled = shifts[shifts["status"] == "worked"]
    wait = (filled["filled"] - filled["posted"]).dt.total_seconds() / 3600.0
    backup = filled["officer_agency"] == "grantsville-ut"
    assert backup.sum() >= 10, "back-up officers took no shifts"
    assert (wait[backup] >= RELEASE_AFTER - 1e-6).all()  # not before the stage opens ...
    assert (wait[~backup] < RELEASE_AFTER).any()  # ... while home officers take shifts earlier
    # Only the category that lists the back-up agency opens to it.
    assert set(filled.loc[backup, "category"]) == {"security"}
    assert (filled.loc[filled["category"] == "traffic_control", "officer_agency"] == "chandler-az").all()
    # Their work is billed and paid like anyone's.
    paid = officers[officers["agency"] == "grantsville-ut"]
    assert paid["shifts"].sum() == backup.sum() and sum(Decimal(p) for p in paid["pay"]) > 0
    assert out.summary["ledger"]["balanced"]


def test_the_same_seed_gives_identical_outputs(tmp_path, out):
    again = replicate(from_dict(scenario_data()), 1)
    out.write(tmp_path / "one")
    again.write(tmp_path / "two")
    for name in ("shifts.parquet", "officers.parquet", "ledger.parquet", "summary.json"):
        one, two = ((tmp_path / d / name).read_bytes() for d in ("one", "two"))
        assert hashlib.sha256(one).digest() == hashlib.sha256(two).digest(), name


# --- a back-up officer's caps are their home agency's -----------------------------------------


@hookimpl
def offduty_agency():
    return AgencySpec(name="testburg-ut", title="Testburg PD (UT)", timezone="America/Denver", subdivision="UT",
                      rates=(RateClass(name="regular", label="Regular", total="50.00", share="40.00"),),
                      caps=HourCaps(daily=Decimal(4), min_rest=timedelta(hours=1)))


def test_a_backup_officer_works_under_the_home_agencys_caps():
    """Testburg caps its officers at 4 off-duty hours a day (Chandler: 16): on Chandler's
    6-hour shifts Testburg's officers hit their daily cap; they work only 3-hour ones."""
    plugin = types.ModuleType("testburg_ut")
    plugin.offduty_agency = offduty_agency
    registry = Registry(get_plugin_manager(extra=[plugin]))
    data = scenario_data(backup="testburg-ut", count=20)
    # Daytime starts only (a night shift's hours fall on two days, each under the cap).
    data["demand"]["categories"]["security"].update(duration_hours={"values": [3, 6]},
                                                    hour=[0] * 8 + [1] * 6 + [0] * 10)
    result = replicate(from_dict(data, registry=registry), 2, registry=registry)
    shifts = with_officer_agency(result)
    worked = shifts[(shifts["status"] == "worked") & (shifts["category"] == "security")]
    hours = worked.groupby("officer_agency")["hours"]
    assert dict(hours.max()) == {"chandler-az": 6.0, "testburg-ut": 3.0}
    assert hours.count()["testburg-ut"] >= 5
    officers = result.officers.set_index("agency")
    assert officers.loc["testburg-ut", "daily_cap_hits"].sum() > 0
    assert officers.loc["chandler-az", "daily_cap_hits"].sum() == 0


def test_the_scenarios_cap_overrides_are_the_simulated_agencys_not_the_backups():
    # A sweep of fees.daily_cap is the simulated agency's policy: back-up officers keep their
    # home agency's caps (only no_caps, for theory checks, lifts everyone's).
    FillAdapter, build_roster, Clock = fill.FillAdapter, fill.build_roster, demand.Clock
    data = scenario_data(backup="grantsville-ut", count=5)
    data["fees"] = {"daily_cap": 3}
    scenario = from_dict(data)
    rules = default_registry().rules("chandler-az")
    roster = build_roster(scenario, rules, np.random.default_rng(0))
    adapter = FillAdapter(scenario, rules, roster, Clock(scenario.agency.first_day, rules.info.tz))
    assert adapter.caps["chandler-az"].daily == Decimal(3)
    assert adapter.caps["grantsville-ut"] == default_registry().rules("grantsville-ut").caps
    data["fees"] = {"no_caps": True}
    lifted = FillAdapter(from_dict(data), rules, roster, Clock(scenario.agency.first_day, rules.info.tz))
    assert all(c.daily is None and c.weekly is None for c in lifted.caps.values())


# --- refusals --------------------------------------------------------------------------------


def refused(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        from_dict(data)
    return str(info.value)


def test_a_misspelled_backup_agency_is_refused_with_the_closest_name():
    data = scenario_data()
    data["officers"]["backup_agencies"] = {"grantsvile-ut": 30}
    assert refused(data) == ("officers.backup_agencies: 'grantsvile-ut' is not allowed; no such agency plugin; "
                             "did you mean 'grantsville-ut'?")
    data = scenario_data()
    data["distribution"]["categories"]["security"]["backup_agencies"] = ["grantsvile-ut"]
    assert refused(data).startswith("distribution.categories.security.backup_agencies: 'grantsvile-ut' is not "
                                    "allowed; no such agency plugin; did you mean 'grantsville-ut'?")


def test_a_backup_stage_with_no_officer_on_a_generated_roster_is_refused():
    data = scenario_data()
    data["officers"]["backup_agencies"] = {}
    message = refused(data)
    assert message.startswith("distribution.categories.security.backup_agencies: 'grantsville-ut' is not allowed; "
                              "no officer of grantsville-ut is on the roster")
    assert 'officers.backup_agencies = { "grantsville-ut" = 20 }' in message
    data["officers"]["backup_agencies"] = {"grantsville-ut": 0}
    assert refused(data) == message


def test_a_backup_stage_with_no_officer_in_the_roster_csv_is_refused_when_it_is_read():
    # examples/roster-chandler.csv holds ten Chandler officers and one from Grantsville.
    data = scenario_data(backup="west-valley-city-ut")
    data["officers"] = {"roster": "examples/roster-chandler.csv"}
    sc = from_dict(data, base_dir=ROOT)
    with pytest.raises(ScenarioError) as info:
        replicate(sc, 1)
    assert str(info.value).startswith("distribution.categories.security.backup_agencies: 'west-valley-city-ut' "
                                      "is not allowed; no officer of west-valley-city-ut is on the roster")
    assert "add west-valley-city-ut's officers to the roster CSV (examples/roster-chandler.csv)" in str(info.value)
    data = scenario_data()
    data["officers"] = {"roster": "examples/roster-chandler.csv"}
    result = replicate(from_dict(data, base_dir=ROOT), 1)
    assert "grantsville-ut" in set(result.officers["agency"])


def test_other_backup_officer_mistakes_are_refused():
    data = scenario_data()
    data["officers"]["backup_agencies"] = {"grantsville-ut": 2.5}
    assert refused(data) == ("officers.backup_agencies.grantsville-ut: 2.5 is not allowed; "
                             "must be a whole number of officers >= 0")
    data["officers"]["backup_agencies"] = {"chandler-az": 5}
    assert "is the simulated agency (agency.name)" in refused(data)
    data = scenario_data()
    data["officers"]["roster"] = "examples/roster-chandler.csv"
    assert refused(data).startswith("officers.backup_agencies: {'grantsville-ut': 30} is not allowed; generated "
                                    "back-up officers need a generated roster")
    # Generated back-up officers no category opens to would never work.
    data = scenario_data()
    data["officers"]["backup_agencies"]["lynnwood-wa"] = 10
    message = refused(data)
    assert message.startswith("officers.backup_agencies.lynnwood-wa: 10 is not allowed; no category opens its "
                              "shifts to lynnwood-wa")
    assert 'backup_agencies = ["lynnwood-wa"]' in message
