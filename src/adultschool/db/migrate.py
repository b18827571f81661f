"""Alembic, configured in code with its scripts inside the package: upgrade a database to head on open, after a backup.

Opening a database whose schema is current needs no Alembic (about 0.1–0.3 s of imports, seconds under Wine): its
revision is read from `alembic_version` with plain SQL and compared with the newest revision of the shipped scripts,
which head_revision() reads from their `revision = …` and `down_revision = …` lines (a merge that rechains the
migrations changes nothing here). Alembic is imported only to migrate, or to list the revisions this program knows.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from sqlalchemy import Engine, inspect, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps
_ASSIGNMENT = re.compile(r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:['"]([^'"]+)['"]|None)\s*$""", re.MULTILINE)


def alembic_config(engine: Engine):  # noqa: ANN201 - alembic.config.Config, imported here only
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


@functools.cache
def head_revision() -> str:
    """The schema revision this program works with, read without Alembic where the scripts are one plain chain
    (tests/test_startup.py checks it is Alembic's own head)."""
    return plain_chain_head(MIGRATIONS_DIR / "versions") or script_head()


def plain_chain_head(versions: Path) -> str | None:
    """The one script no other script revises, from the `revision = …` and `down_revision = …` lines; None when the
    scripts are not a plain chain (several heads, a merge revision, a line this does not read), left to Alembic."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in versions.glob("*.py"):
        found = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        if not found.get("revision") or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            revised.add(found["down_revision"])
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 and revised <= revisions else None


def script_head() -> str:
    """Alembic's head of the shipped migration scripts (what head_revision() must equal)."""
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
