"""Bulk INSERT for imports of thousands of rows: the statement is compiled once and each column's own bind processor
is applied to the values, skipping SQLAlchemy's per-row parameter construction (which cost more than SQLite's work).

Python-side column defaults are honoured: a travelling row gets its uuid per row, one timestamp for the whole batch, a
learner its pinyin keys from its name (a default that reads the row, as SQLAlchemy's `get_current_parameters()`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from adultschool.models.base import utcnow

BATCH_TIMESTAMPS = ("created_at", "updated_at")


class _RowContext:
    """What a context-sensitive default needs of SQLAlchemy's execution context: the values of the row inserted."""

    __slots__ = ("row",)

    def __init__(self, row: Mapping[str, Any]):
        self.row = row

    def get_current_parameters(self) -> Mapping[str, Any]:
        return self.row


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, chunk: int = 5000) -> None:
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0].keys())
    per_row: dict[str, Callable[[Mapping[str, Any]], Any]] = {}  # uuid: a new one each row; keys from the row
    constant: dict[str, Any] = {}  # version 1, one timestamp for the batch: processed once
    now = utcnow()
    for column in table.columns:
        default = column.default
        if column.key in given or default is None or not (default.is_scalar or default.is_callable):
            continue
        if column.key in BATCH_TIMESTAMPS:
            constant[column.key] = now
        elif default.is_callable:
            # SQLAlchemy wraps every callable default to take the execution context; the learners' keys read it.
            per_row[column.key] = lambda row, fn=default.arg: fn(_RowContext(row))
        else:
            constant[column.key] = default.arg
    keys = given + list(per_row) + list(constant)
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    processors = {key: table.columns[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys}
    constant = {k: processors[k](v) if processors[k] and v is not None else v for k, v in constant.items()}
    positional = compiled.positiontup is not None
    names = list(compiled.positiontup) if positional else keys
    # One getter per parameter, in the order the SQL expects: a row's value (processed), a new default, a constant.
    getters: list[Callable[[Mapping[str, Any]], Any]] = []
    for name in names:
        processor = processors[name]
        if name in constant:
            getters.append(lambda row, value=constant[name]: value)
        elif name in per_row:
            make = per_row[name]
            getters.append((lambda row, make=make, p=processor: None if (v := make(row)) is None else p(v)) if processor
                           else (lambda row, make=make: make(row)))
        elif processor is not None:
            getters.append(lambda row, key=name, p=processor: None if row[key] is None else p(row[key]))
        else:
            getters.append(lambda row, key=name: row[key])
    sql = str(compiled)
    for start in range(0, len(rows), chunk):
        if positional:
            params: list[Any] = [tuple([get(row) for get in getters]) for row in rows[start:start + chunk]]
        else:
            params = [dict(zip(names, [get(row) for get in getters])) for row in rows[start:start + chunk]]
        connection.exec_driver_sql(sql, params)
