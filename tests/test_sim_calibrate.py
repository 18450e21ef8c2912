"""offduty calibrate: a known scenario's demand, simulated and fitted, comes back."""

from __future__ import annotations

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
