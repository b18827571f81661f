"""Alembic environment: the engine comes from the caller (db.migrate), never from an ini file."""
from __future__ import annotations

from alembic import context

from adultschool.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    # A migration rewrites rows as every site's schema changes alike: it raises no row version (nothing to send), and
    # the tests' guard that Core UPDATEs raise it (tests/versionguard.py) leaves these statements alone. The mark is on
    # the pooled DBAPI connection, so it is taken off again before the connection goes back to the pool.
    connection.info["schema_migration"] = True
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.info.pop("schema_migration", None)
