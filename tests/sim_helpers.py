"""Small scenarios for the simulator's tests (a few weeks, a few dozen officers)."""

from __future__ import annotations

from pathlib import Path

from offduty_simulations.scenario import from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "simulations" / "scenarios"


def small(agency: str = "chandler-az", days: int = 21, officers: int = 40, **extra) -> dict:
    """Scenario data: one-off security and traffic jobs, a standing post, an SSO school, an
    event, every kind of change, two methods."""
    data = {
        "name": f"small {agency}",
        "agency": {"name": agency, "days": days},
        "officers": {"count": officers, "sso_share": 0.2},
        "demand": {
            "categories": {"security": {"requests_per_week": 25}, "traffic_control": {"requests_per_week": 12}},
            "standing": [{"vendor": "mall", "category": "security", "weekdays": [4, 5], "start": "18:00",
                          "hours": 6, "officers": 2}],
            "school": {"schools": 1},
            "events": {"per_year": 15},
        },
        "changes": {"cancel_rate": 0.1, "start_change_rate": 0.08, "drop_rate": 0.08, "early_release_rate": 0.1,
                    "no_show_rate": 0.02, "reduce_rate": 0.1, "cancel_not_written": 0.2},
        "distribution": {"method": "immediate-release",
                         "categories": {"school_safety": {"method": "seniority", "params": {"window_hours": 24}},
                                        "traffic_control": {"method": "sequencing",
                                                            "params": {"response_minutes": 90}}}},
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value}
    return data


def small_scenario(**kw):
    return from_dict(small(**kw))
