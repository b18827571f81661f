"""learners' ID photos (small JPEGs that travel with the learner)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('learner_photos',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('jpeg', sa.LargeBinary(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_learner_photos_learner_id_learners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_photos')),
    sa.UniqueConstraint('learner_id', name=op.f('uq_learner_photos_learner_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_learner_photos_uuid'))
    )


def downgrade() -> None:
    op.drop_table('learner_photos')
