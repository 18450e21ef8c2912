"""The live service's log is the truth, on SQLite and on PostgreSQL: a program built through the
API (requests, races, drops, cancels, clocking, settlement) is rebuilt by a fresh ``Store`` on
the same database from ``inputs`` alone, record for record and view for view; ``inputs`` has
no gap or duplicate; and ``offduty service export-history`` writes the history ``offduty
calibrate`` fits.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tomllib
from datetime import timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.service_support import Live, live, rows_json  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]
OFFDUTY = str(Path(sys.executable).with_name("offduty"))


def build_program(lv: Live) -> list[str]:
    """A few days of a program through the API; the request ids."""
    a = lv.request(start="2027-06-02T18:00", end="2027-06-02T22:00", positions={"officer": 2}, vehicle=True)["id"]
    b = lv.request("vendor2", start="2027-06-02T17:00", end="2027-06-02T23:00")["id"]
    c = lv.request(start="2027-06-03T18:00", end="2027-06-03T20:00")["id"]
    d = lv.request(start="2027-06-20T18:00", end="2027-06-20T23:00", positions={"officer": 4})["id"]
    refused = lv.post("/requests", "vendor", {"category": "polygraph", "start": "2027-06-20T18:00",
                                              "end": "2027-06-20T20:00", "positions": {"officer": 1}})
    assert refused.status_code == 422
    g = lv.post("/requests", "vendor:lynnwood", {"category": "traffic_control", "start": "2027-06-20T18:00",
                                                 "end": "2027-06-20T22:00", "positions": {"officer": 1}}).json()["id"]
    assert lv.accept(a, 0, "117").status_code == 200
    assert lv.accept(a, 0, "119").status_code == 409  # lost the race
    assert lv.accept(a, 1, "122").status_code == 409  # not approved
    assert lv.accept(a, 1, "124").status_code == 200
    assert lv.accept(b, 0, "126").status_code == 200
    assert lv.accept(c, 0, "119").status_code == 200
    assert lv.post(f"/requests/{c}/slots/0/drop", "officer:119").status_code == 200
    assert lv.post(f"/requests/{c}/slots/0/assign", "coordinator",
                   {"badge": "127", "reason": "covers the drop"}).status_code == 200
    for slot, badge in enumerate(("117", "119", "124")):
        assert lv.accept(d, slot, badge).status_code == 200
    assert lv.post(f"/requests/{d}/cancel", "vendor", {"slots": [3]}).status_code == 200
    assert lv.post(f"/requests/{d}/change-start", "vendor",
                   {"start": "2027-06-20T19:00", "end": "2027-06-21T00:00", "officer_accepts": True}).status_code == 200
    assert lv.post(f"/requests/{g}/cancel", "vendor:lynnwood", {"channel": "phone"}).status_code == 409
    assert lv.post(f"/requests/{g}/cancel", "vendor:lynnwood", {"channel": "email"}).status_code == 200
    lv.advance(32)
    assert lv.post(f"/requests/{b}/cancel", "vendor2").status_code == 200  # inside 24 h
    lv.advance(2)
    for slot, badge in ((0, "117"), (1, "124")):
        assert lv.post(f"/requests/{a}/slots/{slot}/clock-in", f"officer:{badge}",
                       {"device_time": "18:01", "gps": [33.3, -111.8]}).status_code == 200
    lv.advance(4.25)
    for slot, badge in ((0, "117"), (1, "124")):
        assert lv.post(f"/requests/{a}/slots/{slot}/clock-out", f"officer:{badge}").status_code == 200
    lv.advance(19.75)
    assert lv.post(f"/requests/{c}/slots/0/clock-in", "officer:127").status_code == 200
    lv.advance(2)
    assert lv.post(f"/requests/{c}/slots/0/clock-out", "officer:127").status_code == 200
    lv.advance(25)
    for rid in (a, b, c, g):
        assert lv.get(f"/requests/{rid}", "operator").json()["status"] == "settled", rid
    return [a, b, c, d, refused.json()["id"], g]


def test_a_fresh_store_replays_the_log_to_the_same_records_and_views(live):
    from offduty_service.codec import record_json
    from offduty_service.program import Program
    from offduty_service.store import from_iso, iso, request_view

    rids = build_program(live)
    views = {rid: live.get(f"/requests/{rid}", "operator").json() for rid in rids}
    inputs = live.table("inputs", "seq")
    records = rows_json(live.table("records", "id"), "id")
    assert len(inputs) > 30 and len(records) > 30

    # The log: seq 1..n without gap or duplicate; each request's versions 1..k, unique.
    assert [r["seq"] for r in inputs] == list(range(1, len(inputs) + 1))
    versions: dict[str, list[int]] = {}
    for r in inputs:
        if r["request_id"] is not None:
            versions.setdefault(r["request_id"], []).append(r["job_version"])
    assert set(versions) == set(rids)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values()), versions

    # Every row of `records`, re-derived by replaying `inputs` alone through a new program.
    registry = live.store.registry
    program = Program(registry, live.store.settle_after)
    derived = []
    for r in inputs:
        for record in program.apply(r["seq"], r["kind"], json.loads(r["payload"]), from_iso(r["at"])):
            agency = program.agency_of.get(record.request_id)
            body = record_json(record, registry.rules(agency).info.tz if agency else timezone.utc)
            derived.append({"input_seq": r["seq"], "agency": agency, "request_id": record.request_id,
                            "slot": body.get("slot"), "badge": body.get("badge"), "kind": record.kind,
                            "at": iso(record.at), "body": body})
    assert derived == records
    # The read models agree with the replayed program.
    for row in live.table("requests", "request_id"):
        assert json.loads(row["body"]) == request_view(program, row["request_id"]) == views[row["request_id"]]
    for row in live.table("invoices", "request_id"):
        assert json.loads(row["bill"]) == program.board.jobs[row["request_id"]].bill.to_dict()

    # A fresh Store (a new process) catches up from the log and answers the same.
    from fastapi.testclient import TestClient

    from offduty_service.app import create_app

    fresh = live.another_store()
    assert fresh.read(lambda p, conn: p.seq) == len(inputs)
    with TestClient(create_app(fresh, poll_seconds=None)) as client:
        for rid, view in views.items():
            assert client.get(f"/api/v1/requests/{rid}", headers=live.h("operator")).json() == view
        assert client.get("/api/v1/invoices", headers=live.h("operator")).json() == \
            live.get("/invoices", "operator").json()
        for badge in ("117", "124", "126", "127"):
            assert client.get("/api/v1/shifts/mine", headers=live.officer(badge)).json() == \
                live.get("/shifts/mine", f"officer:{badge}").json()
    assert fresh.read(lambda p, conn: [r._asdict() for r in p.board.records]) == \
        live.store.read(lambda p, conn: [r._asdict() for r in p.board.records])
    # ... and goes on from there: its next input is the log's next seq.
    assert fresh.submit("tick", {}, actor="test", role="operator")[0] == 200
    assert live.table("inputs", "seq")[-1]["seq"] == len(inputs) + 1
    assert live.store.read(lambda p, conn: p.seq) == len(inputs) + 1


def test_export_history_is_what_calibrate_fits(live, tmp_path):
    """Forty-two requests over six weeks, through the API; most filled, nine cancelled (six
    nobody had taken, three that an officer held)."""
    categories = ("special_event", "traffic_control", "security")
    rids, cancelled = [], []
    for week in range(6):
        for k in range(7):
            day = 7 * week + k + 3  # June 3 onwards; each received about two days ahead
            month, dom = (6, day) if day <= 30 else (7, day - 30)
            view = live.request(category=categories[(week + k) % 3], start=f"2027-{month:02d}-{dom:02d}T18:00",
                                end=f"2027-{month:02d}-{dom:02d}T{21 + k % 3}:00",
                                positions={"officer": 1 + (k == 2)})
            rids.append(view["id"])
            if k == 4:  # cancelled before anyone took it
                assert live.post(f"/requests/{view['id']}/cancel", "vendor").status_code == 200
                cancelled.append(view["id"])
            else:
                for slot in range(len(view["slots"])):
                    for badge in ("117", "119", "124", "126", "127"):
                        if live.accept(view["id"], slot, badge).status_code == 200:
                            break
                if k == 1 and week % 2 == 0:  # cancelled after an officer took it
                    assert live.post(f"/requests/{view['id']}/cancel", "vendor").status_code == 200
                    cancelled.append(view["id"])
            live.advance(24)
    assert len(rids) >= 40
    live.advance(24 * 5)
    history, scenario = tmp_path / "history.csv", tmp_path / "scenario.toml"
    done = subprocess.run([OFFDUTY, "service", "export-history", "--db", live.url, "--out", str(history)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(history.read_text())))
    assert [r["request_id"] for r in rows] == rids
    assert {r["filled"] for r in rows} <= {"yes", "no", ""} and any(r["filled"] == "yes" for r in rows)
    # A cancelled request says when (export-history once left cancelled_at empty for every
    # request cancelled through the API).
    assert [r["request_id"] for r in rows if r["cancelled_at"]] == cancelled and len(cancelled) == 9
    assert all(r["filled"] == "" for r in rows if r["cancelled_at"])

    from simulations.calibrate import read_history

    assert len(read_history(history)) == len(rids)
    done = subprocess.run([OFFDUTY, "calibrate", str(history), "--out", str(scenario)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    fitted = tomllib.loads(scenario.read_text())
    assert fitted["agency"]["name"] == "chandler-az"
    assert set(fitted["demand"]["categories"]) == set(categories)


def test_a_log_the_installed_rules_no_longer_replay_is_refused_at_start(live, tmp_path):
    """offduty serve verifies the log at start: under a changed rate sheet the settled job's
    bill would differ from the logged one, so the service does not start on it."""
    from offduty_core.errors import InputError
    from offduty_core.plugins import isolated_registry
    from offduty_service.replay import load_spec
    from offduty_service.store import Clock, Store

    rid = live.request(start="2027-06-02T18:00", end="2027-06-02T23:00")["id"]
    assert live.accept(rid, 0, "117").status_code == 200
    live.advance(64)
    assert live.another_store().verify() == (len(live.table("inputs", "seq")), None)  # the same rules
    source = (ROOT / "plugins" / "agencies" / "chandler_az.py").read_text()
    proposal = tmp_path / "raised.py"
    proposal.write_text(source.replace('total="83.28", share="75.03"', 'total="85.00", share="76.58"'))
    changed = isolated_registry(load_spec(str(proposal)), "offduty_plugins.agencies.grantsville_ut",
                                "offduty_plugins.agencies.lynnwood_wa")
    store = Store(live.store.engine, changed, Clock(manual=True))
    with pytest.raises(InputError) as refused:
        store.verify()
    message = str(refused.value)
    assert "(tick)" in message and "Billed" in message and "offduty service replay" in message
    assert len(message.splitlines()) == 1 and "--allow-changed-rules" in message
    count, difference = Store(live.store.engine, changed, Clock(manual=True)).verify(strict=False)
    assert count == len(live.table("inputs", "seq")) and "Billed" in difference
    spec = [row["spec_version"] for row in live.table("inputs", "seq") if row["kind"] == "submit"][0]
    assert spec.startswith("chandler-az built-in spec:") and len(spec.rpartition(":")[2]) == 12
