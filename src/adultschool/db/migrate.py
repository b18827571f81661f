"""Alembic, configured in code with its scripts inside the package: upgrade a database to head on open, after a backup.

Opening a database whose schema is current needs no Alembic (about 0.1–0.3 s of imports, seconds under Wine): its
revision is read from `alembic_version` with plain SQL and compared with HEAD_REVISION. Alembic is imported only to
migrate, or to list the revisions this program knows.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
# The newest revision in migrations/versions. A new migration moves it too: tests/test_database.py checks that it is
# Alembic's own head, so forgetting it fails the suite (a database would otherwise be "migrated" at every open).
HEAD_REVISION = "0010"


def alembic_config(engine: Engine):  # noqa: ANN201 - alembic.config.Config, imported here only
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The schema revision this program works with (without importing Alembic)."""
    return HEAD_REVISION


def script_head() -> str:
    """Alembic's head of the shipped migration scripts (what HEAD_REVISION must equal)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision as Alembic recorded it; None for a database without one (new, or not ours)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        versions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(versions) > 1:  # Alembic's branches, which this program never makes
        raise RuntimeError(f"{VERSION_TABLE} holds several revisions: {versions}")
    return versions[0] if versions else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
