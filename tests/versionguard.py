"""A test-time guard: every UPDATE of a travelling table raises the row's version, or the change never reaches the
district (a package carries rows whose version is newer than the last one sent).

The ORM does it by itself (the version column is its optimistic-lock counter); a Core `update()` must say so, through
`services.sync_tables.update_travelling`. Installed for the whole test session by conftest.py: a statement that forgets
fails the test that ran it, naming the table.
"""
from __future__ import annotations

import re

from sqlalchemy import Engine, event

from adultschool.services.sync_tables import SPECS

_UPDATE = re.compile(r'^\s*UPDATE\s+"?(\w+)"?\s+SET\s+(.*?)(?:\s+WHERE\s|\s*$)', re.IGNORECASE | re.DOTALL)
_TRAVELLING = {spec.name: {c.name for c in spec.columns} - {"version", "updated_at"} for spec in SPECS}


class VersionNotRaised(AssertionError):
    pass


def _check(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if conn.info.get("schema_migration"):
        return  # db/migrations/env.py: an upgrade rewrites rows alike on every site
    found = _UPDATE.match(statement)
    if found is None or found.group(1) not in _TRAVELLING:
        return
    assigned = {name.strip('"').lower() for name in re.findall(r'"?(\w+)"?\s*=', found.group(2))}
    if assigned & _TRAVELLING[found.group(1)] and "version" not in assigned:
        raise VersionNotRaised(f"UPDATE {found.group(1)} sets {sorted(assigned)} without raising version: "
                               "use services.sync_tables.update_travelling")


def install() -> None:
    if not event.contains(Engine, "before_cursor_execute", _check):
        event.listen(Engine, "before_cursor_execute", _check)
