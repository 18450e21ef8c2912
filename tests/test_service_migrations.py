"""The service's Alembic migrations build exactly the schema ``offduty_service.tables`` declares,
on SQLite and on PostgreSQL, and migrating an up-to-date database does nothing.

PostgreSQL: the server at 127.0.0.1:5432 (database ``test``) is shared with other tests, so
each test gets a schema of its own, named uniquely, as its ``search_path`` (Alembic's version
table and the comparison both follow ``current_schema()``), dropped afterwards.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text

from offduty_service.db import engine_for
from offduty_service.migrate import MIGRATIONS, _config, current_revision, head_revision, migrate
from offduty_service.tables import metadata
from tests.service_support import database_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    with database_url(request.param, tmp_path, prefix="t_migrations_") as url:
        engine = engine_for(url)
        try:
            if request.param == "postgresql":
                schema = url.rpartition("search_path%3D")[2]
                with engine.connect() as conn:
                    assert conn.execute(text("SELECT current_schema()")).scalar() == schema
            yield engine
        finally:
            engine.dispose()


def test_the_head_revision_is_0001():
    assert head_revision() == "0001"


def test_migrate_builds_exactly_the_declared_schema(engine):
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == "0001"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert set(inspect(conn).get_table_names()) == set(metadata.tables) | {"alembic_version"}


def test_migrating_twice_is_a_no_op(engine):
    migrate(engine)
    statements = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    migrate(engine)
    event.remove(engine, "before_cursor_execute", _seen)
    changes = [s for s in statements if s.lstrip().split()[0].upper() in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}]
    assert changes == []
    assert current_revision(engine) == "0001"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0001"]
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_downgrade_drops_every_table(engine):
    migrate(engine)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert current_revision(engine) is None
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}


def test_the_migrations_ship_as_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["offduty_service"]
    files = [p.relative_to(MIGRATIONS.parent).as_posix() for p in MIGRATIONS.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert "migrations/env.py" in files and "migrations/versions/0001_initial.py" in files
    assert [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)] == []
