"""PostgreSQL for the tests: ADULTSCHOOL_TEST_PG names a server (any database on it, e.g. …/postgres) where the tests
may create and drop databases. Unset, every test runs on SQLite only, as before.

One template database is migrated once per session; databases are made from it (`CREATE DATABASE … TEMPLATE`), as
many as one test needs at once, and emptied between tests. scripts/test-postgres starts a throwaway server and sets
the variable.
"""
from __future__ import annotations

import os
import secrets

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from adultschool.db import migrate
from adultschool.db.engine import make_engine
from adultschool.models import Base

PG_ENV = "ADULTSCHOOL_TEST_PG"


def server_url() -> str | None:
    """The server the tests may use, None when PostgreSQL tests are off."""
    return os.environ.get(PG_ENV) or None


class PgDatabases:
    """Hands out migrated, empty databases on the test server and takes them back.

    A database handed back is emptied (DELETE in foreign-key order, sequences restarted: ~50 ms, where CREATE DATABASE
    takes about a second on a small machine) and handed out again; one whose schema a test changed is dropped instead.
    """

    def __init__(self, admin_url: str):
        self.admin_url = make_url(admin_url)
        self.admin: Engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        # pid and a random tail: two test runs against one server never touch each other's databases.
        self.prefix = f"adultschool_t{os.getpid()}_{secrets.token_hex(3)}"
        self.template: str | None = None
        self.count = 0
        self.lent: set[str] = set()
        self.free: list[str] = []

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str, **params: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql), params)

    def _ensure_template(self) -> str:
        if self.template is None:
            name = f"{self.prefix}_template"
            self._execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
            self.template = name
            engine = make_engine(self.url(name))
            try:
                migrate.upgrade(engine)
            finally:
                engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template without connections
        return self.template

    def create(self) -> str:
        """The URL of a database at the current schema with no school in it yet, for this test alone."""
        if self.free:
            name = self.free.pop()
        else:
            template = self._ensure_template()
            self.count += 1
            name = f"{self.prefix}_{self.count}"
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.lent.add(name)
        return self.url(name)

    def create_empty(self) -> str:
        """The URL of a new database with no tables at all (as a server administrator hands one out)."""
        self.count += 1
        name = f"{self.prefix}_{self.count}"
        self._execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        self.lent.add(name)  # not migrated: drop() finds no alembic_version and drops it
        return self.url(name)

    def drop(self, url: str) -> None:
        """Takes a database back after its test: emptied for the next test, or dropped when it cannot be."""
        name = make_url(url).database
        if name not in self.lent:
            return
        self.lent.discard(name)
        # Connections a test left open (an engine never disposed) would hold locks the emptying waits for. Only our
        # own: autovacuum works in these databases too, as the superuser, whom a test role may not stop.
        self._execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
                      "AND usename = current_user AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                      name=name)
        try:
            self._empty(name)
        except Exception:  # noqa: BLE001 - a database a test damaged is not lent again
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            self.free.append(name)

    def _empty(self, name: str) -> None:
        engine = create_engine(self.url(name), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if version != migrate.head_revision():
                    raise RuntimeError(f"schema changed to {version}")
                tables = set(connection.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
                known = [t.name for t in reversed(Base.metadata.sorted_tables)]
                if tables != set(known) | {"alembic_version"}:
                    raise RuntimeError("tables added or removed")
                sequences = connection.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).scalars().all()
                statements = [f'DELETE FROM "{table}"' for table in known]
                statements += [f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in sequences]
                connection.exec_driver_sql(";\n".join(statements))
        finally:
            engine.dispose()

    def close(self) -> None:
        for name in sorted(self.lent) + self.free + ([self.template] if self.template else []):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.lent.clear()
        self.free.clear()
        self.template = None
        self.admin.dispose()
