"""Payments arrive as the processor's webhooks, verified before anything is logged.

The processor signs each delivery's raw body with a shared secret (HMAC-SHA256, hex, in the
``X-Offduty-Signature: sha256=<hex>`` header), as Stripe, Square and others do.  A delivery
whose signature does not match is answered 401 and leaves no trace.  A verified one is logged
as a ``payment`` input whose idempotency key is the processor's event id, so a redelivery (a
processor retries until it hears 2xx) is answered the same and counted once.  The body holds
the event id, the request, the amount and the method: a field outside these (a card number)
is refused, so no card data is ever stored.

The secret comes from the ``OFFDUTY_WEBHOOK_SECRET`` environment variable; without it the
endpoint answers 503 (payments are then recorded by staff by hand).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .errors import ApiError
from .program import Program
from .store import Store

router = APIRouter(prefix="/api/v1")

FIELDS = ("event_id", "request_id", "amount", "method")


def signature(secret: str, body: bytes) -> str:
    """The header value a processor sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@router.post("/webhooks/payments", summary="a payment processor's webhook (signed)")
async def payment_webhook(request: Request):
    secret = os.environ.get("OFFDUTY_WEBHOOK_SECRET")
    if not secret:
        raise ApiError(404, "payment webhooks are off: set OFFDUTY_WEBHOOK_SECRET to the processor's signing secret")
    body = await request.body()
    given = request.headers.get("x-offduty-signature", "")
    if not hmac.compare_digest(given, signature(secret, body)):
        raise ApiError(401, "the webhook's signature does not match (X-Offduty-Signature: sha256=<hmac of the body>)")
    try:
        data = json.loads(body)
    except ValueError:
        raise ApiError(422, "body: must be a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError(422, "body: must be a JSON object")
    extra = sorted(set(data) - set(FIELDS))
    if extra:
        raise ApiError(422, f"{extra[0]}: not a field of a payment (fields: {', '.join(FIELDS)}); "
                            "card details are never sent or stored")
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise ApiError(422, "event_id: the processor's event id is required")
    store: Store = request.app.state.store
    payload = {k: data[k] for k in FIELDS if k in data}
    payload["amount"] = str(payload.get("amount"))

    def answer(program: Program, records) -> tuple[int, object]:
        rid = payload["request_id"]
        job = program.board.jobs[rid]
        paid = program.paid(rid)
        return 200, {"request_id": rid, "paid": f"{paid:.2f}", "balance": f"{job.bill.vendor_total - paid:.2f}"}

    status, out = await _submit(store, payload, answer, f"processor:{event_id}")
    return JSONResponse(out, status_code=status)


async def _submit(store: Store, payload, answer, key):
    import anyio

    return await anyio.to_thread.run_sync(
        lambda: store.submit("payment", payload, actor="payment processor", role="processor", answer=answer,
                             idempotency_key=key))
