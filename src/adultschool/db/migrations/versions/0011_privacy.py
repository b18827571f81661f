"""privacy (issue 18): the audit head each sync package carried, kept at the district and returned in its receipt

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


def downgrade() -> None:
    with op.batch_alter_table('sync_packages', schema=None) as batch_op:
        batch_op.drop_column('audit_head')
