"""Bringing the service's database to the current schema, with Alembic.

Why Alembic: in production the service runs on PostgreSQL, where a database outlives every
release, so each schema change must be a migration (a numbered revision in
``service/migrations/versions``) that upgrades the data in place; ``metadata.create_all``
only ever creates missing tables.  SQLite, the embedded default, runs the very same
revisions, so both databases always have one schema, the one ``offduty_service.tables``
declares.

No ``alembic.ini`` is needed: :func:`migrate` builds Alembic's configuration in code and
hands Alembic its own connection.  It is idempotent: on a database already at the head it
does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from offduty_service.db import lock_key

MIGRATIONS = Path(__file__).resolve().with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest revision in ``service/migrations/versions``."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, ``None`` when it was never migrated."""
    with engine.connect() as conn:
        conn = conn.execution_options(write=False)  # SQLite: a plain BEGIN, no write lock
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the database behind ``engine`` to the head revision, in one transaction.

    Two processes starting at once do not both migrate: SQLite's ``BEGIN IMMEDIATE`` (see
    :mod:`offduty_service.db`) and a PostgreSQL advisory lock make the second wait, and it
    then finds the database at the head and runs nothing.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return
    config = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("offduty_service.migrate")})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
