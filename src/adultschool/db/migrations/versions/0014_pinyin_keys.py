"""pinyin: a learner's name as full pinyin, initials and a pinyin sort key, a township's pinyin sort key,
indexed, and filled for the rows already there

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 06:00:00
"""
from collections.abc import Callable

from alembic import op
import sqlalchemy as sa

from adultschool import pinyin


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

LEARNER_COLUMNS = (('name_pinyin', 600), ('name_initials', 100), ('name_sort', pinyin.SORT_KEY_LENGTH))
TOWNSHIP_COLUMNS = (('name_sort', pinyin.SORT_KEY_LENGTH),)
BATCH = 2000


def _person(name: str | None) -> dict[str, str | None]:
    if not (name and name.strip()):
        return {'name_pinyin': None, 'name_initials': None, 'name_sort': None}
    keys = pinyin.person_name(name)
    return {'name_pinyin': keys.full, 'name_initials': keys.initials, 'name_sort': keys.sort_key}


def _place(name: str | None) -> dict[str, str | None]:
    return {'name_sort': pinyin.place_name(name).sort_key if name and name.strip() else None}


def _add_and_fill(table_name: str, columns: tuple[tuple[str, int], ...],
                  keys_of: Callable[[str | None], dict[str, str | None]]) -> None:
    # Not batch mode: copying learners would drop it under the foreign keys that point to it; adding a nullable
    # column is a plain ALTER TABLE on SQLite too.
    for name, length in columns:
        op.add_column(table_name, sa.Column(name, sa.String(length=length), nullable=True))
        op.create_index(op.f(f'ix_{table_name}_{name}'), table_name, [name], unique=False)
    connection = op.get_bind()
    table = sa.table(table_name, sa.column('id', sa.Integer), sa.column('name', sa.String),
                     *(sa.column(name, sa.String) for name, _ in columns))
    statement = (sa.update(table).where(table.c.id == sa.bindparam('_id'))
                 .values({name: sa.bindparam(f'_{name}') for name, _ in columns}))
    last = 0
    while True:  # by id, a batch at a time: a district holds hundreds of thousands of learners
        rows = connection.execute(sa.select(table.c.id, table.c.name).where(table.c.id > last)
                                  .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(statement, [{'_id': row_id, **{f'_{k}': v for k, v in keys_of(name).items()}}
                                       for row_id, name in rows])
        last = rows[-1][0]


def upgrade() -> None:
    _add_and_fill('learners', LEARNER_COLUMNS, _person)
    _add_and_fill('townships', TOWNSHIP_COLUMNS, _place)


def downgrade() -> None:
    for table_name, columns in (('townships', TOWNSHIP_COLUMNS), ('learners', LEARNER_COLUMNS)):
        for name, _ in reversed(columns):
            op.drop_index(op.f(f'ix_{table_name}_{name}'), table_name=table_name)
            if op.get_bind().dialect.name == 'sqlite':
                op.execute(f'ALTER TABLE {table_name} DROP COLUMN {name}')  # SQLite 3.35+
            else:
                op.drop_column(table_name, name)
