"""What one import writes, row by row, kept so the import can be undone (services.imports).

An import service opens a `Journal` before it writes: rows inserted into the journal's tables are found afterwards by
id (the write lock keeps other writers out of the transaction), and each row it changes is noted with its values before
and after. `Journal.finish` stores the batch. Values are kept as JSON the way rows travel (services.sync_tables codecs).
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import Table, func, literal, select
from sqlalchemy.orm import Session

from adultschool.db.bulk import bulk_insert
from adultschool.models import ImportBatch, ImportBatchItem
from adultschool.services.sync_tables import SPEC_BY_NAME


def encode_values(table_name: str, values: dict[str, Any]) -> str:
    codecs = {c.name: c for c in SPEC_BY_NAME[table_name].codecs}
    out = {}
    for name, value in values.items():
        codec = codecs[name]
        out[name] = codec.to_json(value) if codec.to_json is not None and value is not None else value
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def decode_values(table_name: str, text: str) -> dict[str, Any]:
    codecs = {c.name: c for c in SPEC_BY_NAME[table_name].codecs}
    out = {}
    for name, value in json.loads(text).items():
        codec = codecs[name]
        out[name] = codec.from_json(value) if codec.from_json is not None and value is not None else value
    return out


def plain(value: Any) -> Any:
    return getattr(value, "value", value)


class Journal:
    """What one import adds and changes; see the module docstring."""

    def __init__(self, session: Session, kind: str, file: str, tables: Sequence[Table]):
        self.kind, self.file = kind, file
        self.tables = tuple(tables)
        self.since = {t.name: session.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one() for t in tables}
        self.changes: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}

    def change(self, table_name: str, uuid: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        """A row the import changed: the first `before` is kept, the last `after` wins."""
        key = (table_name, uuid)
        if key in self.changes:
            first, _ = self.changes[key]
            self.changes[key] = ({**before, **first}, {**self.changes[key][1], **after})
        else:
            self.changes[key] = (dict(before), dict(after))

    def finish(self, session: Session, *, actor: str, summary: str) -> int | None:
        """Stores the batch (nothing when the import added and changed nothing); returns its number."""
        counts = {table.name: session.execute(select(func.count()).select_from(table)
                                              .where(table.c.id > self.since[table.name])).scalar_one()
                  for table in self.tables}
        inserted_total = sum(counts.values())
        changed_keys = list(self.changes)
        new: set[tuple[str, str]] = set()
        for table_name in {t for t, _ in changed_keys}:
            table = next((t for t in self.tables if t.name == table_name), None)
            if table is not None and counts.get(table_name):
                wanted = [u for t, u in changed_keys if t == table_name]
                for start in range(0, len(wanted), 500):
                    new.update((table_name, u) for u in session.execute(
                        select(table.c.uuid).where(table.c.id > self.since[table_name],
                                                   table.c.uuid.in_(wanted[start:start + 500]))).scalars())
        changed = [(t, u, b, a) for (t, u), (b, a) in self.changes.items()
                   if (t, u) not in new and {k: plain(v) for k, v in b.items()} != {k: plain(v) for k, v in a.items()}]
        if not inserted_total and not changed:
            return None
        batch = ImportBatch(kind=self.kind, file=self.file[:300], rows=inserted_total + len(changed), actor=actor,
                            summary=summary)
        session.add(batch)
        session.flush()
        items_table = ImportBatchItem.__table__
        for table in self.tables:  # the rows the import added, copied over in the database: set-based, in id order
            if counts[table.name]:
                session.execute(items_table.insert().from_select(
                    ["batch_id", "table_name", "row_uuid"],
                    select(literal(batch.id), literal(table.name), table.c.uuid)
                    .where(table.c.id > self.since[table.name]).order_by(table.c.id)))
        items = [{"batch_id": batch.id, "table_name": t, "row_uuid": u, "before": encode_values(t, b), "after": encode_values(t, a)}
                 for t, u, b, a in changed]
        if items:
            bulk_insert(session, items_table, items)
        return batch.id
