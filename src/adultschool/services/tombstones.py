"""Removing travelling rows: a row the district already has (its uuid was sent in a package) leaves a tombstone in
`deleted_rows`, which travels in the next package so the district removes its copy too. A row never sent just goes.

The caller checks first that nothing depends on the rows (attendance, results, …) and owns the transaction.
"""
from __future__ import annotations

from typing import Sequence, cast

from sqlalchemy import CursorResult, Table, delete, select
from sqlalchemy.orm import Session

from adultschool.models import DeletedRow, SyncSent

CHUNK = 500


def remove_rows(session: Session, table: Table, row_ids: Sequence[int], *, reason: str) -> int:
    """Deletes these rows of a travelling table; returns how many were deleted."""
    ids = list(dict.fromkeys(row_ids))
    removed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        uuids = list(session.execute(select(table.c.uuid).where(table.c.id.in_(chunk))).scalars())
        sent = set(session.execute(select(SyncSent.uuid).where(SyncSent.uuid.in_(uuids))).scalars())
        already = set(session.execute(select(DeletedRow.row_uuid).where(DeletedRow.row_uuid.in_(sent))).scalars())
        for uuid in sorted(sent - already):
            session.add(DeletedRow(table_name=table.name, row_uuid=uuid, reason=reason[:2000]))
        session.flush()
        removed += cast(CursorResult, session.execute(delete(table).where(table.c.id.in_(chunk)),
                                                      execution_options={"synchronize_session": False})).rowcount
    return removed
