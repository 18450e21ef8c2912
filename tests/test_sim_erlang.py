"""The simulator against Erlang's loss formula, and a balanced ledger over a whole year."""

from __future__ import annotations

from decimal import Decimal

import pytest

from offduty_simulations import erlang
from offduty_simulations.runner import replicate
from offduty_simulations.scenario import from_dict
from sim_helpers import small


def test_erlang_b_known_values():
    assert erlang.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang.erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang.erlang_b(5, 4.0) == pytest.approx(0.19907, abs=1e-5)
    assert erlang.erlang_b(10, 0.0) == 0.0


@pytest.mark.parametrize("duration", ["exponential", "deterministic"])
def test_fill_rate_matches_one_minus_erlang_b_within_the_confidence_interval(duration):
    result = erlang.check(c=5, a=4.0, duration=duration, replications=6, days=30, seed=2027)
    assert result["ci_low"] <= result["theory"] <= result["ci_high"], result
    assert result["ci_high"] - result["ci_low"] < 0.05  # the interval is informative
    assert result["ledgers_balanced"]


def test_the_theory_scenario_is_the_ordinary_model():
    sc = erlang.theory_scenario(3, 2.0, days=7)
    assert sc.officers.instant and sc.officers.acceptance.always and sc.fees.no_caps
    assert sc.officers.schedules == {"none": 1.0}


def test_ledger_balances_over_a_whole_year():
    sc = from_dict(small(agency="grantsville-ut", days=365, officers=14,
                         demand={"categories": {"security": {"requests_per_week": 4},
                                                "traffic_control": {"requests_per_week": 3,
                                                                    "lead_time_days": {"median": 5, "sigma": 1.2}}},
                                 "events": {"per_year": 3}, "school": {"schools": 1}}))
    out = replicate(sc, 11)
    s = out.summary
    assert s["ledger"]["balanced"] and s["ledger"]["residual"] == "0.00"
    assert s["billing_failures"] == []
    ledger = out.ledger
    amounts = ledger["amount"].map(Decimal)
    assert all(total == 0 for total in amounts.groupby(ledger["tx"]).sum())
    assert sum(amounts) == 0
    # Weekly payroll pays every officer everything the bills owe them.
    payable = amounts[ledger["account"].str.startswith("liabilities:payable:officer:")]
    assert sum(payable) == 0
    assert Decimal(s["cash"]["payroll_paid"]) == Decimal(s["money"]["officer_pay"])
    # Grantsville refuses short notice: the year has refusals by the agency's rule.
    assert s["requests"]["refused_by_rule"].get("grantsville-ut:notice", 0) > 0
    months = {int(m) for m in s["fill_rate_by_month"]}
    assert months == set(range(1, 13))
