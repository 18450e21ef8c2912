"""offduty calibrate: a known scenario's demand, simulated and fitted, comes back."""

from __future__ import annotations

import pandas as pd
import pytest

from offduty_core import default_registry
from offduty_core.errors import InputError
from offduty_simulations import calibrate, demand
from offduty_simulations.scenario import from_dict, load
from sim_helpers import ROOT


def test_round_trip_recovers_the_demand_parameters(tmp_path):
    truth = from_dict({
        "agency": {"name": "west-valley-city-ut", "days": 365},
        "demand": {"categories": {
            "security": {"vendors": 30, "requests_per_week": 40, "lead_time_days": {"median": 6, "sigma": 0.8},
                         "duration_hours": {"values": [4, 8], "weights": [3, 1]},
                         "officers": {"values": [1, 2], "weights": [4, 1]}, "vehicle_share": 0.3},
            "traffic_control": {"vendors": 10, "requests_per_week": 15, "lead_time_days": {"median": 3, "sigma": 0.5},
                                "duration_hours": 6, "officers": 1, "vehicle_share": 0.9}}},
        "changes": {"cancel_rate": 0.1, "cancel_inside_window": 0.5},
    })
    rules = default_registry().rules("west-valley-city-ut")
    jobs = demand.generate(truth, rules, demand.streams(3))
    history = tmp_path / "history.csv"
    frame = calibrate.history_frame(jobs, demand.Clock(truth.agency.first_day, rules.info.tz))
    frame["agency"] = "west-valley-city-ut"
    frame.to_csv(history, index=False)
    out = tmp_path / "fitted.toml"
    fit = calibrate.calibrate_file(history, out)
    fitted = load(out)  # the written scenario loads
    for name, c in truth.demand.categories.items():
        f = fitted.demand.categories[name]
        assert f.requests_per_week == pytest.approx(c.requests_per_week, rel=0.08)
        assert f.lead_time_days.median == pytest.approx(c.lead_time_days.median, rel=0.1)
        assert f.lead_time_days.sigma == pytest.approx(c.lead_time_days.sigma, abs=0.08)
        assert f.duration_hours.mean == pytest.approx(c.duration_hours.mean, rel=0.05)
        assert f.officers.mean == pytest.approx(c.officers.mean, rel=0.05)
        assert f.vehicle_share == pytest.approx(c.vehicle_share, abs=0.04)
        assert f.vendors <= c.vendors
    assert fitted.changes.cancel_rate == pytest.approx(0.1, abs=0.02)
    assert fitted.changes.cancel_inside_window == pytest.approx(0.5, abs=0.08)
    assert max(fitted.demand.month) / min(fitted.demand.month) > 1.1  # the default seasonality shows
    assert "requests" in fit.report()


def test_the_shipped_history_calibrates(tmp_path):
    out = tmp_path / "chandler.toml"
    fit = calibrate.calibrate_file(ROOT / "simulations" / "data" / "history-chandler-az.csv", out)
    assert fit.agency == "chandler-az" and fit.rows > 500
    assert set(load(out).demand.categories) >= {"security", "traffic_control"}


def test_a_bad_history_names_the_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("request_id,vendor,category,received_at,start,end,officers\n"
                    "a,v,security,2027-01-01T10:00-07:00,2027-01-02T10:00-07:00,2027-01-02T12:00-07:00,1\n"
                    "b,v,security,yesterday,2027-01-02T10:00-07:00,2027-01-02T12:00-07:00,1\n")
    with pytest.raises(Exception) as info:
        calibrate.read_history(path)
    assert "line 3, received_at" in str(info.value)


GOOD = "a,v,security,2027-01-01T10:00-07:00,2027-01-02T10:00-07:00,2027-01-02T12:00-07:00,1"


@pytest.mark.parametrize("rows, where, says", [
    ([GOOD, "b,v,security,2027-01-01T10:00-07:00,2027-01-02T10:00-07:00,2027-01-02T10:00-07:00,1"],
     "line 3, end: '2027-01-02T10:00-07:00'", "must be after the start (2027-01-02T10:00-07:00)"),
    ([GOOD, "b,v,security,2027-01-03T10:00-07:00,2027-01-02T10:00-07:00,2027-01-02T12:00-07:00,1"],
     "line 3, received_at", "must not be after the start"),
    ([GOOD, GOOD], "line 3, request_id: 'a'", "already on line 2"),
    ([GOOD, "b,v,security,2027-01-01T10:00-07:00,2027-01-02T10:00-07:00,2027-01-02T12:00-07:00,0"],
     "line 3, officers: '0'", "whole number >= 1"),
    ([GOOD, "b,v,security,2027-01-01T10:00-07:00,2027-01-02T10:00-07:00,2027-01-02T12:00-07:00,-2"],
     "line 3, officers: '-2'", "whole number >= 1"),
    ([], "a header line only", "give one row per past request"),
])
def test_a_history_with_impossible_rows_is_refused_naming_the_line(tmp_path, rows, where, says):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(["request_id,vendor,category,received_at,start,end,officers"] + rows) + "\n")
    with pytest.raises(InputError) as info:
        calibrate.read_history(path)
    assert where in str(info.value) and says in str(info.value)


def test_vehicle_flags_and_cancellation_times_are_checked(tmp_path):
    head = "request_id,vendor,category,received_at,start,end,officers,vehicle,cancelled_at\n"
    path = tmp_path / "h.csv"
    path.write_text(head + GOOD + ",maybe,\n")
    with pytest.raises(InputError, match="line 2, vehicle: 'maybe'.*give yes or no"):
        calibrate.read_history(path)
    path.write_text(head + GOOD + ",yes,2027-01-03T10:00-07:00\n")
    with pytest.raises(InputError, match="line 2, cancelled_at: '2027-01-03T10:00-07:00'.*between"):
        calibrate.read_history(path)
    path.write_text(head + GOOD + ",Y,2027-01-02T09:00-07:00\n")
    df = calibrate.read_history(path)
    assert bool(df["vehicle"][0]) and df["cancelled_at"].notna().all()


def test_an_empty_file_is_refused_not_a_traceback(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(InputError, match="is empty; give a header line"):
        calibrate.read_history(path)


def test_a_history_of_several_agencies_is_fitted_for_the_one_asked(tmp_path):
    src = (ROOT / "simulations" / "data" / "history-chandler-az.csv").read_text().splitlines()
    other = ["gv-" + line.replace("chandler-az", "grantsville-ut") for line in src[1:41]]
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(src + other) + "\n")
    with pytest.raises(InputError, match="no single agency"):
        calibrate.calibrate_file(path, tmp_path / "x.toml")
    fit = calibrate.calibrate_file(path, tmp_path / "c.toml", agency="chandler-az")
    assert fit.rows == len(src) - 1
    with pytest.raises(InputError, match="rows for chandler-az, grantsville-ut only"):
        calibrate.calibrate_file(path, tmp_path / "x.toml", agency="lynnwood-wa")


# --- histories that do not cover a whole year, seasonality per category, the held-out check ---


def _history(tmp_path, truth, seed=3, keep=None, agency="west-valley-city-ut"):
    rules = default_registry().rules(agency)
    jobs = demand.generate(truth, rules, demand.streams(seed))
    frame = calibrate.history_frame(jobs, demand.Clock(truth.agency.first_day, rules.info.tz))
    frame["agency"] = agency
    if keep is not None:
        frame = frame[keep(frame)]
    path = tmp_path / "history.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _monthly(jobs) -> dict[int, int]:
    out = {m: 0 for m in range(1, 13)}
    for j in jobs:
        out[j.month] += 1
    return out


def test_a_half_year_history_keeps_its_volume_and_leaves_the_other_months_unknown(tmp_path):
    truth = from_dict({"agency": {"name": "west-valley-city-ut", "days": 365},
                       "demand": {"categories": {"security": {"requests_per_week": 40}}}})
    path, frame = _history(tmp_path, truth, keep=lambda f: f["start"] < "2027-07-01")
    out = tmp_path / "fitted.toml"
    fit = calibrate.calibrate_file(path, out)
    assert fit.unknown_months == ("Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    text = out.read_text()
    assert "# No history for Jul, Aug, Sep, Oct, Nov, Dec" in text and "assumed to be like the average" in text
    fitted = load(out)
    assert fitted.demand.month[6:] == (1.0,) * 6
    # Simulated over the whole year: each covered month within 15 % of the history, and the
    # uncovered months at the covered months' average, not next to nothing.
    year = fitted.with_overrides({"agency.start": "2027-01-01", "agency.days": 365})
    rules = default_registry().rules("west-valley-city-ut")
    months = [_monthly(demand.generate(year, rules, demand.streams(s))) for s in range(4)]
    actual = frame["start"].str[5:7].astype(int).value_counts()
    for m in range(1, 7):
        simulated = sum(r[m] for r in months) / len(months)
        assert simulated == pytest.approx(actual[m], rel=0.15), m
    covered = sum(sum(r[m] for m in range(1, 7)) for r in months) / len(months) / 6
    for m in range(7, 13):
        assert sum(r[m] for r in months) / len(months) == pytest.approx(covered, rel=0.2), m


def test_each_large_category_keeps_its_own_weekdays_and_months(tmp_path):
    weekday_only = [1, 1, 1, 1, 1, 0, 0]
    no_summer = [1, 1, 1, 1, 1, 0, 0, 0.2, 1, 1, 1, 1]
    truth = from_dict({"agency": {"name": "west-valley-city-ut", "days": 365},
                       "demand": {"categories": {
                           "security": {"requests_per_week": 30},
                           "school_safety": {"requests_per_week": 20, "weekday": weekday_only, "month": no_summer}}}})
    path, _ = _history(tmp_path, truth)
    out = tmp_path / "fitted.toml"
    calibrate.calibrate_file(path, out)
    school = load(out).demand.categories["school_safety"]
    assert school.weekday[5] == school.weekday[6] == 0.0 and min(school.weekday[:5]) > 0.8
    assert school.month[5] == school.month[6] == 0.0 and school.month[7] < 0.5
    security = load(out).demand.categories["security"]
    assert min(security.weekday) > 0.5  # security follows its own, busier-at-weekends profile


def test_officers_come_from_the_badges_the_history_names(tmp_path):
    path = tmp_path / "h.csv"
    rows = ["request_id,agency,vendor,category,received_at,start,end,officers,badges"]
    for i in range(30):
        rows.append(f"r{i},chandler-az,v{i % 3},security,2027-01-{i % 28 + 1:02d}T08:00-07:00,"
                    f"2027-02-{i % 28 + 1:02d}T10:00-07:00,2027-02-{i % 28 + 1:02d}T14:00-07:00,2,"
                    f"C{i % 7};C{(i + 1) % 7 + 10}")
    path.write_text("\n".join(rows) + "\n")
    fit = calibrate.calibrate_file(path, tmp_path / "c.toml")
    assert fit.officers == 14 and "14 (distinct badges in the history)" in fit.report()
    assert load(tmp_path / "c.toml").officers.count == 14
    assert calibrate.calibrate_file(path, tmp_path / "d.toml", officers=40).officers == 40


def test_the_held_out_check_sets_predictions_beside_the_actual_history(tmp_path):
    flat = {"month": [1] * 12, "weekday": [1] * 7}
    truth = from_dict({"agency": {"name": "west-valley-city-ut", "days": 240},
                       "demand": {**flat, "categories": {"security": {"requests_per_week": 25}}}})
    path, frame = _history(tmp_path, truth)
    frame["filled"] = ["yes" if i % 10 else "no" for i in range(len(frame))]
    frame.to_csv(path, index=False)
    check = calibrate.holdout(calibrate.read_history(path), "2027-06-01", replications=3, seed=1)
    rows = {r["measure"]: r for r in check.rows}
    held = frame[frame["start"] >= "2027-06-01"]
    assert rows["requests"]["actual"] == len(held)
    assert rows["requests"]["inside"] is True
    assert rows["fill rate"]["actual"] == pytest.approx((held.reset_index()["request_id"].index % 10 != 0).mean(),
                                                        abs=0.2)
    assert rows["requests"]["low"] <= rows["requests"]["predicted"] <= rows["requests"]["high"]
    assert "held-out check: fitted on" in check.report()
    with pytest.raises(InputError, match="--holdout-from"):
        calibrate.holdout(calibrate.read_history(path), "2030-01-01")
    # Demand that doubles after the cut-off is not what the fit predicts: the check says so.
    later = frame[frame["start"] >= "2027-06-01"].assign(request_id=lambda f: f["request_id"] + "-again")
    pd.concat([frame, later]).to_csv(path, index=False)
    doubled = {r["measure"]: r for r in calibrate.holdout(calibrate.read_history(path), "2027-06-01",
                                                           replications=3, seed=1).rows}
    assert doubled["requests"]["inside"] is False and "NO" in calibrate.Holdout(
        fit=check.fit, cutoff=check.cutoff, last=check.last, replications=3, level=0.95,
        rows=list(doubled.values())).report()
