"""Schemathesis against the service's own OpenAPI (``/openapi.json``), in process over ASGI:
whatever a caller sends to any operation, as the operator or as a vendor, the answer is never a
500 (a refusal is a 4xx naming what is wrong).

Bounded: a few examples per operation, no deadline, so the whole run stays well under a minute.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from offduty_core import default_registry  # noqa: E402
from offduty_service.app import create_app  # noqa: E402
from offduty_service.auth import add_user  # noqa: E402
from offduty_service.cli import open_store  # noqa: E402
from offduty_service.store import Clock  # noqa: E402

ROSTER = """badge,agency,seniority_date,rank,qualifications,approved,active,schedule,shift_start,shift_hours,anchor,days_off,duty_dates,history,name
117,chandler-az,2012-05-01,officer,sso,yes,yes,,,,,,,,Pat Alvarez
121,chandler-az,2009-11-20,officer,,yes,yes,,,,,,,,Dana Diaz
"""

MAX_EXAMPLES = int(os.environ.get("OFFDUTY_FUZZ_EXAMPLES", "15"))  # per operation, mode and role


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'offduty.db'}"
    store = open_store(url, default_registry(), Clock(manual=True, start=datetime(2027, 6, 1, 15, 0, tzinfo=timezone.utc)))
    with store.engine.begin() as conn:
        tokens = {"operator": add_user(conn, "op", "operator", None),
                  "vendor": add_user(conn, "Desert Ridge Stadium", "vendor", "chandler-az",
                                     vendor="Desert Ridge Stadium")}
    store.submit("roster", {"csv": ROSTER, "source": "roster.csv"}, actor="test", role="operator",
                 agencies=["chandler-az"])
    app = create_app(store, poll_seconds=None)
    yield app, tokens
    store.engine.dispose()


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_answer_is_a_server_error(service, mode, monkeypatch):
    """Every operation, with generated path, query, headers and body, as operator and vendor."""
    app, tokens = service
    # payment webhooks answer 503 while they are off (by design): turn them on, so the
    # fuzzer meets the signature check (its unsigned deliveries are 401s)
    monkeypatch.setenv("OFFDUTY_WEBHOOK_SECRET", "fuzz-secret")
    failures = []
    for operation in _operations(app):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case):
            for role in ("operator", "vendor"):
                headers = dict(case.headers or {})
                headers["Authorization"] = f"Bearer {tokens[role]}"
                case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            run()
        except Unsatisfiable:
            pass  # nothing to make invalid (negative mode, an operation without parameters or body)
        except Exception as exc:  # noqa: BLE001 - one line per failing operation, all of them reported
            failures.append(f"{operation.label}: {' '.join(str(exc).split())[:600]}")
    assert failures == [], "\n".join(failures)
