"""Bulk INSERT for imports of thousands of rows: the statement is compiled once and each column's own bind processor
is applied to the values, skipping SQLAlchemy's per-row parameter construction (which cost more than SQLite's work).

Python-side column defaults are honoured: a travelling row gets its uuid per row, one timestamp for the whole batch, a
learner its pinyin keys from its name (a default that reads the row, as SQLAlchemy's `get_current_parameters()`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from adultschool.models.base import utcnow

BATCH_TIMESTAMPS = ("created_at", "updated_at")


class _RowContext:
    """What a context-sensitive default needs of SQLAlchemy's execution context: the values of the row inserted."""

    __slots__ = ("row",)

    def __init__(self, row: Mapping[str, Any]):
        self.row = row

    def get_current_parameters(self) -> Mapping[str, Any]:
        return self.row


_Getter = Callable[[Mapping[str, Any]], Any]
_Processor = Callable[[Any], Any]


def _from_context(default: CallableColumnDefault) -> _Getter:
    """SQLAlchemy wraps every callable default to take the execution context; the learners' keys read it."""
    # _RowContext stands in for the ExecutionContext the wrapper is typed to take: the defaults only ask it for
    # get_current_parameters().
    call = cast(Callable[[_RowContext], Any], default.arg)
    return lambda row: call(_RowContext(row))


def _constant_getter(value: Any) -> _Getter:
    return lambda row: value


def _default_getter(make: _Getter, processor: _Processor | None) -> _Getter:
    if processor is None:
        return make
    return lambda row: None if (value := make(row)) is None else processor(value)


def _row_getter(key: str, processor: _Processor | None) -> _Getter:
    if processor is None:
        return lambda row: row[key]
    return lambda row: None if row[key] is None else processor(row[key])


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, chunk: int = 5000) -> None:
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0].keys())
    per_row: dict[str, _Getter] = {}  # uuid: a new one each row; keys from the row
    constant: dict[str, Any] = {}  # version 1, one timestamp for the batch: processed once
    now = utcnow()
    for column in table.columns:
        default = column.default
        if column.key in given or not isinstance(default, (ScalarElementColumnDefault, CallableColumnDefault)):
            continue
        if column.key in BATCH_TIMESTAMPS:
            constant[column.key] = now
        elif isinstance(default, CallableColumnDefault):
            per_row[column.key] = _from_context(default)
        else:
            constant[column.key] = default.arg
    keys = given + list(per_row) + list(constant)
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    processors: dict[str, _Processor | None] = {
        key: table.columns[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys}
    constant = {k: p(v) if (p := processors[k]) is not None and v is not None else v for k, v in constant.items()}
    positiontup = compiled.positiontup
    positional = positiontup is not None
    names = list(positiontup) if positiontup is not None else keys
    # One getter per parameter, in the order the SQL expects: a row's value (processed), a new default, a constant.
    getters: list[_Getter] = []
    for name in names:
        processor = processors[name]
        if name in constant:
            getters.append(_constant_getter(constant[name]))
        elif name in per_row:
            getters.append(_default_getter(per_row[name], processor))
        else:
            getters.append(_row_getter(name, processor))
    sql = str(compiled)
    for start in range(0, len(rows), chunk):
        if positional:
            params: list[Any] = [tuple([get(row) for get in getters]) for row in rows[start:start + chunk]]
        else:
            params = [dict(zip(names, [get(row) for get in getters])) for row in rows[start:start + chunk]]
        connection.exec_driver_sql(sql, params)
