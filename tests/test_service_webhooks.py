"""Payments arrive as signed processor webhooks: verified before anything is logged, counted
once however often they are redelivered, and never holding card data (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from offduty_service.webhooks import signature
from tests.service_support import live  # noqa: F401 - the fixture

SECRET = "whsec_test"


@pytest.fixture
def settled(live, monkeypatch):
    """A billed job (one officer, 5 h worked) and the webhook's secret set."""
    monkeypatch.setenv("OFFDUTY_WEBHOOK_SECRET", SECRET)
    view = live.request(start="2027-06-02T18:00", end="2027-06-02T23:00")
    assert live.accept(view["id"], 0, "117").status_code == 200
    live.advance(64)  # past the end and the 24 h until settlement
    (invoice,) = live.get("/invoices", "vendor").json()
    return live, view["id"], invoice


def deliver(live, payload, secret=SECRET, sign=True):
    body = json.dumps(payload).encode()
    headers = {"X-Offduty-Signature": signature(secret, body)} if sign else {}
    return live.client.post("/api/v1/webhooks/payments", content=body, headers=headers)


def inputs_of_kind(live, kind):
    return [row for row in live.table("inputs", "seq") if row["kind"] == kind]


def test_a_signed_payment_is_logged_once_however_often_it_is_delivered(settled):
    live, rid, invoice = settled
    assert invoice["status"] == "open" and invoice["paid"] == "0.00"
    assert invoice["due"] == invoice["bill"]["invoice"]["due"]  # one due date: the bill's own terms
    payment = {"event_id": "evt_1", "request_id": rid, "amount": "100.00", "method": "ach"}
    first = deliver(live, payment)
    again = deliver(live, payment)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {
        "request_id": rid, "paid": "100.00",
        "balance": f"{float(invoice['vendor_total']) - 100:.2f}"}
    assert len(inputs_of_kind(live, "payment")) == 1
    rest = {"event_id": "evt_2", "request_id": rid, "amount": first.json()["balance"], "method": "ach"}
    assert deliver(live, rest).json()["balance"] == "0.00"
    (paid,) = live.get("/invoices", "vendor").json()
    assert (paid["status"], paid["balance"]) == ("paid", "0.00")


@pytest.mark.parametrize("how", ["unsigned", "wrong secret"])
def test_an_unverified_delivery_is_401_and_leaves_no_trace(settled, how):
    live, rid, _ = settled
    before = len(live.table("inputs", "seq"))
    payment = {"event_id": "evt_x", "request_id": rid, "amount": "10.00"}
    r = deliver(live, payment, sign=how != "unsigned", secret="not-the-secret")
    assert r.status_code == 401 and "signature" in r.json()["error"]
    assert len(live.table("inputs", "seq")) == before


def test_card_data_is_refused_not_stored(settled):
    live, rid, _ = settled
    r = deliver(live, {"event_id": "evt_c", "request_id": rid, "amount": "10.00", "card_number": "4242424242424242"})
    assert r.status_code == 422 and r.json()["error"].startswith("card_number:")
    assert not any("4242" in row["payload"] for row in live.table("inputs", "seq"))


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.005", "NaN", "lots"])
def test_a_bad_amount_is_422_in_one_line(settled, amount):
    live, rid, _ = settled
    r = deliver(live, {"event_id": f"evt_{amount}", "request_id": rid, "amount": amount})
    assert r.status_code == 422 and r.json()["error"].startswith("amount:")
    assert inputs_of_kind(live, "payment") == []


def test_a_payment_of_an_unbilled_request_is_refused(live, monkeypatch):
    monkeypatch.setenv("OFFDUTY_WEBHOOK_SECRET", SECRET)
    view = live.request()
    r = deliver(live, {"event_id": "evt_u", "request_id": view["id"], "amount": "10.00"})
    assert r.status_code == 422 and "not a billed request" in r.json()["error"]


def test_without_a_secret_the_endpoint_is_off(live, monkeypatch):
    monkeypatch.delenv("OFFDUTY_WEBHOOK_SECRET", raising=False)
    r = live.client.post("/api/v1/webhooks/payments", content=b"{}")
    assert r.status_code == 404 and "OFFDUTY_WEBHOOK_SECRET" in r.json()["error"]


def test_payments_survive_a_replay(settled):
    live, rid, _ = settled
    deliver(live, {"event_id": "evt_r", "request_id": rid, "amount": "25.00"})
    fresh = live.another_store()  # a new process: the program rebuilt from the log
    assert str(fresh.read(lambda program, conn: program.paid(rid))) == "25.00"
