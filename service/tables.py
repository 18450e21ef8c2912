"""The live service's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

``inputs`` is the truth: append-only, one row per input the board was given, in ``seq``
order.  Everything else is written in the same transaction as the input that made it and can
be rebuilt from ``inputs``: the records the board emitted, and the read models (requests and
their slots, bookings, invoices, ledger postings, pending wake-ups, the outbox).  Times are
ISO-8601 text in UTC (``2027-06-20T01:00:00+00:00``), which sorts as time on both databases.
Alembic's first revision (``service/migrations``) creates exactly these tables.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint,
                        Table)

metadata = MetaData()

inputs = Table(
    "inputs", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),  # the server's time, UTC
    Column("kind", String(20), nullable=False),
    Column("agency", String(80)),
    Column("request_id", String(80)),
    Column("job_version", Integer),  # 1, 2, ... per request: two writers cannot both add the same
    Column("actor", String(120), nullable=False),
    Column("role", String(20), nullable=False),
    Column("idempotency_key", String(200), unique=True),
    Column("spec_version", String(200)),
    Column("payload", Text, nullable=False),  # JSON
    Column("evidence", Text),  # JSON: device time, GPS; kept, never decided on
    Column("response", Text),  # JSON {"status": code, "body": ...}: what a retry is answered
    UniqueConstraint("request_id", "job_version", name="uq_inputs_job_version"),
)

records = Table(
    "records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("input_seq", Integer, ForeignKey("inputs.seq"), nullable=False),
    Column("agency", String(80)),
    Column("request_id", String(80)),
    Column("slot", Integer),
    Column("badge", String(40)),
    Column("kind", String(30), nullable=False),
    Column("at", String(40), nullable=False),
    Column("body", Text, nullable=False),  # JSON, instants in the agency's local time
    Index("ix_records_request", "request_id"),
)

requests = Table(
    "requests", metadata,
    Column("request_id", String(80), primary_key=True),
    Column("agency", String(80), nullable=False),
    Column("vendor", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("body", Text, nullable=False),  # JSON: the API's view of the request
    Column("updated_seq", Integer, nullable=False),
)

bookings = Table(
    "bookings", metadata,
    Column("request_id", String(80), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("agency", String(80), nullable=False),
    Column("badge", String(40), nullable=False),
    Column("start", String(40), nullable=False),
    Column("end", String(40), nullable=False),
    Column("hours", String(20), nullable=False),
)

invoices = Table(
    "invoices", metadata,
    Column("request_id", String(80), primary_key=True),
    Column("agency", String(80), nullable=False),
    Column("vendor", String(200), nullable=False),
    Column("billed_at", String(40), nullable=False),
    Column("vendor_total", String(20), nullable=False),
    Column("officer_pay_total", String(20), nullable=False),
    Column("bill", Text, nullable=False),  # JSON: exactly `offduty bill` of `story`
    Column("story", Text, nullable=False),  # JSON: the job story
)

ledger = Table(
    "ledger", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(80), nullable=False),
    Column("agency", String(80), nullable=False),
    Column("date", String(10), nullable=False),
    Column("memo", String(300), nullable=False),
    Column("account", String(200), nullable=False),
    Column("amount", String(20), nullable=False),  # exact decimal text
    Index("ix_ledger_request", "request_id"),
)

timers = Table(
    "timers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("agency", String(80)),
    Column("request_id", String(80)),
    Column("slot", Integer),
    Index("ix_timers_at", "at"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("input_seq", Integer, ForeignKey("inputs.seq"), nullable=False),
    Column("agency", String(80)),
    Column("kind", String(30), nullable=False),
    Column("recipient", String(200), nullable=False),  # "badge:117", "vendor:Desert Ridge Stadium"
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("delivered_at", String(40)),
    Column("attempts", Integer, nullable=False, default=0),
    Index("ix_outbox_pending", "delivered_at"),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the token; the token is never kept
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency", String(80)),
    Column("badge", String(40)),
    Column("vendor", String(200)),
    Column("clients", Text),  # JSON list: the vendors a coordinator serves (null: every vendor of its agency)
    Column("created_at", String(40), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

clock = Table(
    "clock", metadata,
    Column("id", Integer, primary_key=True),
    Column("now", String(40), nullable=False),  # the manual clock's time
)
