"""Notifications, delivered at least once.

The board's records that someone must hear of (an offer or award to an officer, an unfilled
alert or an invoice to a vendor) become ``outbox`` rows in the transaction of the input that
made them.  :func:`deliver` hands each undelivered row to a sender and marks it delivered only
after the sender returned; a crash in between sends it again (at least once, never lost).  The
default sender appends a JSON line to a log file; email or SMS is a sender of your own
(``offduty serve --sender module:function``).
"""

from __future__ import annotations

import importlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from offduty_core.errors import InputError

from . import tables as t

Sender = Callable[[dict[str, Any]], None]


def log_sender(path: str | Path) -> Sender:
    """A sender that appends each notification to ``path`` as one JSON line."""
    path = Path(path)

    def send(message: dict[str, Any]) -> None:
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(message, sort_keys=True) + "\n")
    return send


def load_sender(spec: str) -> Sender:
    """``module:function`` as a sender (``function(message)``), refused in one line if absent."""
    module, _, name = spec.partition(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise InputError("--sender", spec, "give module:function of an importable sender") from None
    if not callable(found):
        raise InputError("--sender", spec, "is not callable")
    return found


def deliver(engine: Engine, send: Sender, limit: int = 100) -> int:
    """Send up to ``limit`` undelivered notifications, oldest first; the number sent.  A
    sender that raises leaves its row for the next turn (its attempts counted)."""
    with engine.connect().execution_options(write=False) as conn:
        with conn.begin():
            rows = conn.execute(select(t.outbox).where(t.outbox.c.delivered_at.is_(None))
                                .order_by(t.outbox.c.id).limit(limit)).all()
    sent = 0
    for row in rows:
        message = {"id": row.id, "kind": row.kind, "recipient": row.recipient, "agency": row.agency,
                   "body": json.loads(row.body), "created_at": row.created_at}
        try:
            send(message)
        except Exception:  # noqa: BLE001 - retried next turn
            with engine.begin() as conn:
                conn.execute(update(t.outbox).where(t.outbox.c.id == row.id)
                             .values(attempts=t.outbox.c.attempts + 1))
            continue
        with engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id)
                         .values(delivered_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                 attempts=t.outbox.c.attempts + 1))
        sent += 1
    return sent
