"""Notifications go through the outbox at least once, and the poller runs due wake-ups as
logged ticks (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from offduty_core.errors import InputError
from offduty_service.outbox import deliver, load_sender, log_sender
from tests.service_support import live  # noqa: F401 - the fixture


def outbox(live):
    return live.table("outbox", "id")


def test_offers_awards_alerts_and_invoices_are_queued_for_whom_they_concern(live):
    filled = live.request(start="2027-06-02T18:00", end="2027-06-02T22:00")
    unfilled = live.request(start="2027-06-03T18:00", end="2027-06-03T22:00")
    assert live.accept(filled["id"], 0, "117").status_code == 200
    live.advance(64)  # past the unfilled alert (24 h ahead), the start of both, and the first's settlement
    rows = {(r["kind"], r["recipient"], json.loads(r["body"])["request_id"]) for r in outbox(live)}
    assert ("Awarded", "badge:117", filled["id"]) in rows
    assert ("AlertSent", "vendor:Desert Ridge Stadium", unfilled["id"]) in rows
    assert ("Billed", "vendor:Desert Ridge Stadium", filled["id"]) in rows
    assert all(r["delivered_at"] is None and r["attempts"] == 0 for r in outbox(live))


def test_each_notification_is_delivered_once_and_a_failed_one_is_retried(live, tmp_path):
    view = live.request()
    live.accept(view["id"], 0, "117")
    live.advance(24 * 21)  # alerts, starts, settlement
    queued = outbox(live)
    assert len(queued) >= 2
    failing, sent = {queued[0]["id"]}, []

    def sender(message):
        if message["id"] in failing:
            raise ConnectionError("mail server down")
        sent.append(message)

    assert deliver(live.store.engine, sender) == len(queued) - 1
    first = outbox(live)[0]
    assert first["delivered_at"] is None and first["attempts"] == 1
    failing.clear()
    assert deliver(live.store.engine, sender) == 1
    assert deliver(live.store.engine, sender) == 0  # nothing twice
    assert sorted(m["id"] for m in sent) == [r["id"] for r in queued]
    assert all(r["delivered_at"] is not None for r in outbox(live))

    log = tmp_path / "outbox.log"
    live.advance(1)
    live.request(start="2027-07-20T18:00", end="2027-07-20T23:00")
    live.advance(24 * 30)
    deliver(live.store.engine, log_sender(log))
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines and {line["kind"] for line in lines} <= {"AlertSent", "Billed", "Awarded", "Offered"}


def test_a_sender_is_named_module_colon_function():
    assert load_sender("json:dumps") is json.dumps
    for bad in ("no_such_module:send", "json:nope", "json"):
        with pytest.raises(InputError):
            load_sender(bad)


def test_the_poller_ticks_only_when_a_wake_up_is_due(live):
    view = live.request(start="2027-06-03T18:00", end="2027-06-03T22:00")
    store = live.store
    assert store.tick_if_due() is False  # nothing due yet: no tick is logged
    ticks = lambda: [r for r in live.table("inputs", "seq") if r["kind"] == "tick"]  # noqa: E731
    assert ticks() == []
    with store.engine.begin() as conn:  # time passes without anyone advancing the board
        store.clock.set(conn, store.clock.now(conn) + timedelta(hours=60))
    assert store.tick_if_due() is True
    assert len(ticks()) == 1 and ticks()[0]["actor"] == "poller"
    kinds = [r["kind"] for r in live.table("records", "id") if r["request_id"] == view["id"]]
    assert "AlertSent" in kinds and "ShiftUnfilled" in kinds
    assert store.tick_if_due() is False  # what was due has run
