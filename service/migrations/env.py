"""Alembic's environment for the service's database (SQLite or PostgreSQL).

Run from :func:`offduty_service.migrate.migrate`, which hands over an open connection in
``config.attributes["connection"]``; no ``alembic.ini`` is needed.  When that is missing (the
``alembic`` command line with a ``sqlalchemy.url``), a connection is made from the URL.
"""

from __future__ import annotations

from alembic import context

from offduty_service.tables import metadata

config = context.config
target_metadata = metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters most tables by copying them; later revisions use batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: the SQL, not run."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from offduty_service.db import engine_for

    engine = engine_for(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
