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
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copy, drop and rename; with foreign keys enforced the drop fails as soon as
        # another table's rows point at it (certificate_prints → certificates in 0007). SQLite takes this pragma only
        # outside a transaction; the references are checked as a whole before the commit instead.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the upgrade would leave rows pointing at nothing: {broken[:5]}")
        connection.commit()
    finally:
        connection.info.pop("schema_migration", None)
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
