"""Connecting to the service's database: SQLite (the embedded default) or PostgreSQL.

Every write is one transaction that holds the program's write lock from its first statement:

- SQLite: WAL (readers go on while one writer writes), ``BEGIN IMMEDIATE`` (the write lock
  is taken at the start, so two writers never both read and then collide at commit), and a
  busy timeout so a second writer waits instead of failing.
- PostgreSQL: ``pg_advisory_xact_lock`` on each agency involved, in sorted order (see
  :func:`lock_agencies`), released at commit or rollback.
"""

from __future__ import annotations

import hashlib
from typing import Iterable

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url

from offduty_core.errors import InputError


def engine_for(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///offduty.db``, ``postgresql://127.0.0.1/test``), refused
    in one line when the scheme is neither."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - SQLAlchemy's ArgumentError and friends
        raise InputError("--db", url, "give a database URL such as sqlite:///offduty.db or "
                                      "postgresql://127.0.0.1:5432/test") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN itself (below)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoint, never corrupt
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # A writer takes the lock at BEGIN; a reader (execution option write=False) does
            # not, and under WAL it reads the last commit while a writer writes.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write", True) else "BEGIN")

        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise InputError("--db", url, "the database is SQLite (sqlite:///FILE) or PostgreSQL (postgresql://HOST/DB)")


def lock_key(agency: str) -> int:
    """A stable 63-bit key for an agency's advisory lock (the same in every process)."""
    return int.from_bytes(hashlib.sha256(agency.encode()).digest()[:8], "big") >> 1


def lock_agencies(conn: Connection, agencies: Iterable[str]) -> None:
    """Take the write lock of each agency, in sorted order (two writers needing the same two
    agencies never wait on each other crosswise).  On SQLite ``BEGIN IMMEDIATE`` has already
    serialised the writers."""
    if conn.dialect.name != "postgresql":
        return
    for agency in sorted(set(agencies)):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(agency)})
