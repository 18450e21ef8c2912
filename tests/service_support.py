"""Shared fixtures and helpers of the live service's tests (``offduty serve``).

``live`` (parametrized over SQLite and PostgreSQL) is a fresh program: a database migrated to
the head, a manual clock at Tuesday 2027-06-01 08:00 in Chandler (15:00 UTC), the Chandler
roster (``examples/roster-chandler.csv``) imported, a user and token for every role, and a
FastAPI ``TestClient`` over :func:`create_app` with no background poller.

PostgreSQL: the server at 127.0.0.1:5432 (database ``test``) is shared, so each test gets a
schema of its own as its ``search_path``, dropped afterwards (:func:`database_url`, which the
crash and migration tests use too; ``benchmarks/bench_service.py`` uses :func:`pg_schema` and
:func:`load_users`).  Import the fixture into a test module:
``from tests.service_support import live``.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
ROSTER = ROOT / "examples" / "roster-chandler.csv"
START = datetime(2027, 6, 1, 15, 0, tzinfo=timezone.utc)  # Tuesday 08:00 in Chandler (UTC-7)

CHANDLER = "chandler-az"
VENDOR = "Desert Ridge Stadium"
OTHER_VENDOR = "Chandler Fashion Center"
#: Chandler officers on the roster (122 is not approved, 123 is on leave, 118/128 on duty some evenings).
BADGES = ("117", "118", "119", "121", "122", "123", "124", "126", "127", "128")


def pg_unreachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return f"PostgreSQL at {PG_URL} cannot be reached: {str(exc).strip().splitlines()[0]}"
    return None


@contextlib.contextmanager
def pg_schema(prefix: str = "t_service_", digits: int = 16) -> Iterator[str]:
    """A URL of the PostgreSQL database at :data:`PG_URL` whose ``search_path`` is a new, empty
    schema of its own (``prefix`` and ``digits`` random hex digits), dropped afterwards."""
    from offduty_service.db import engine_for

    schema = f"{prefix}{uuid.uuid4().hex[:digits]}"
    admin = engine_for(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def database_url(backend: str, tmp_path: Path, prefix: str = "t_service_") -> Iterator[str]:
    """A URL of an empty database of ``backend`` for one test (a PostgreSQL schema of its own,
    named ``prefix`` and random hex; the test is skipped when PostgreSQL cannot be reached)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'offduty.db'}"
        return
    reason = pg_unreachable()
    if reason:
        pytest.skip(reason)
    with pg_schema(prefix) as url:
        yield url


def open_store(url: str, start: datetime = START):
    """A new :class:`Store` (as another process would have) on the database at ``url``."""
    from offduty_core import default_registry
    from offduty_service.cli import open_store as _open
    from offduty_service.store import Clock

    return _open(url, default_registry(), Clock(manual=True, start=start))


def load_users(store, agency: str, vendors: int, officers: int, first_badge: int) -> dict[str, list[str]]:
    """Add the users of a load run to ``store``: an operator, ``vendors`` vendors (``Vendor 0``, ...)
    and ``officers`` officers of ``agency`` (badges ``first_badge`` on); their tokens by role."""
    from offduty_service.auth import add_user

    tokens: dict[str, list[str]] = defaultdict(list)
    with store.engine.begin() as conn:
        tokens["operator"].append(add_user(conn, "op", "operator", None))
        for v in range(vendors):
            tokens["vendor"].append(add_user(conn, f"Vendor {v}", "vendor", agency, vendor=f"Vendor {v}"))
        for i in range(officers):
            badge = str(first_badge + i)
            tokens["officer"].append(add_user(conn, badge, "officer", agency, badge=badge))
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Live:
    """A live program under test: ``client`` the API, ``tokens`` by user name (a role, or
    ``officer:117``, ``vendor2``, ...)."""

    url: str
    backend: str
    store: Any
    client: Any
    tokens: dict[str, str] = field(default_factory=dict)
    stores: list = field(default_factory=list)

    def h(self, who: str) -> dict[str, str]:
        return bearer(self.tokens[who])

    def officer(self, badge: str) -> dict[str, str]:
        return self.h(f"officer:{badge}")

    def post(self, path: str, who: str, json_body: Any = None, **kw):
        headers = dict(self.h(who), **kw.pop("headers", {}))
        return self.client.post(f"/api/v1{path}", json=json_body, headers=headers, **kw)

    def get(self, path: str, who: str, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.h(who), **kw)

    def request(self, who: str = "vendor", **fields) -> dict[str, Any]:
        """Submit a request (201 expected); its view."""
        body = {"category": "special_event", "start": "2027-06-20T18:00", "end": "2027-06-20T23:00",
                "positions": {"officer": 1}}
        body.update(fields)
        r = self.post("/requests", who, body)
        assert r.status_code == 201, r.text
        return r.json()

    def advance(self, hours: float) -> dict[str, Any]:
        r = self.post("/clock/advance", "operator", {"hours": hours})
        assert r.status_code == 200, r.text
        return r.json()

    def accept(self, rid: str, slot: int, badge: str):
        return self.post(f"/requests/{rid}/slots/{slot}/accept", f"officer:{badge}")

    def another_store(self):
        store = open_store(self.url)
        self.stores.append(store)
        return store

    def table(self, name: str, order: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(f'SELECT * FROM {name} ORDER BY {order}'))]


def make_live(backend: str, url: str) -> Live:
    from fastapi.testclient import TestClient

    from offduty_service.app import create_app
    from offduty_service.auth import add_user

    store = open_store(url)
    tokens: dict[str, str] = {}
    with store.engine.begin() as conn:
        tokens["operator"] = add_user(conn, "op", "operator", None)
        tokens["agency_admin"] = add_user(conn, "admin", "agency_admin", CHANDLER)
        tokens["coordinator"] = add_user(conn, "coord", "coordinator", CHANDLER)
        tokens["coordinator:stadium"] = add_user(conn, "coord2", "coordinator", CHANDLER, clients=[VENDOR])
        tokens["auditor"] = add_user(conn, "audit", "auditor", CHANDLER)
        tokens["vendor"] = add_user(conn, VENDOR, "vendor", CHANDLER, vendor=VENDOR)
        tokens["vendor2"] = add_user(conn, OTHER_VENDOR, "vendor", CHANDLER, vendor=OTHER_VENDOR)
        tokens["vendor:grantsville"] = add_user(conn, "Tooele County Fair", "vendor", "grantsville-ut",
                                                vendor="Tooele County Fair")
        tokens["vendor:lynnwood"] = add_user(conn, "Alderwood Mall", "vendor", "lynnwood-wa", vendor="Alderwood Mall")
        for badge in BADGES:
            tokens[f"officer:{badge}"] = add_user(conn, badge, "officer", CHANDLER, badge=badge)
        tokens["officer"] = tokens["officer:117"]
    store.submit("roster", {"csv": ROSTER.read_text(), "source": ROSTER.name}, actor="test", role="operator",
                 agencies=[CHANDLER, "grantsville-ut"])
    client = TestClient(create_app(store, poll_seconds=None))
    return Live(url=url, backend=backend, store=store, client=client, tokens=tokens)


def _live(backend: str, tmp_path: Path) -> Iterator[Live]:
    with database_url(backend, tmp_path) as url:
        program = make_live(backend, url)
        try:
            with program.client:
                yield program
        finally:
            for store in [program.store, *program.stores]:
                store.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, tmp_path) -> Iterator[Live]:
    yield from _live(request.param, tmp_path)


@pytest.fixture
def live_pg(tmp_path) -> Iterator[Live]:
    """``live`` on PostgreSQL only: for races SQLite's BEGIN IMMEDIATE rules out by itself."""
    yield from _live("postgresql", tmp_path)


def rows_json(rows: list[dict[str, Any]], *drop: str) -> list[dict[str, Any]]:
    """Rows with JSON text columns parsed and ``drop`` columns left out (for comparing)."""
    out = []
    for row in rows:
        row = {k: v for k, v in row.items() if k not in drop}
        for k, v in row.items():
            if isinstance(v, str) and v[:1] in "{[":
                with contextlib.suppress(ValueError):
                    row[k] = json.loads(v)
        out.append(row)
    return out
