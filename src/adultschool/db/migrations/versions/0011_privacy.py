"""privacy: the audit head each sync package carried, kept at the district and returned in its receipt;
a learner's consent (notice version, day, ID number, photo) and the day their record was anonymised, and why

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_packages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_head', sa.Text(), nullable=True))
    with op.batch_alter_table('learners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_notice', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('consent_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('consent_id_number', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('consent_photo', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('anonymised_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('anonymised_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    # Not batch mode for learners: copying the table would drop it under the foreign keys that point to it.
    for column in ('anonymised_reason', 'anonymised_on', 'consent_photo', 'consent_id_number', 'consent_on',
                   'consent_notice'):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE learners DROP COLUMN {column}')  # SQLite 3.35+
        else:
            op.drop_column('learners', column)
    with op.batch_alter_table('sync_packages', schema=None) as batch_op:
        batch_op.drop_column('audit_head')
