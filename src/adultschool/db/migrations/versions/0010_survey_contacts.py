"""survey contacts: surveyed residents without an ID number, known by name, phone and township until it arrives

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('gender', sa.Enum('male', 'female', name='gender', native_enum=False, create_constraint=False, length=20), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('education', sa.String(length=50), nullable=True),
    sa.Column('household_location', sa.String(length=200), nullable=True),
    sa.Column('employer', sa.String(length=200), nullable=True),
    sa.Column('job', sa.String(length=100), nullable=True),
    sa.Column('willingness', sa.Enum('yes', 'no', 'undecided', name='willingness', native_enum=False, create_constraint=False, length=20), nullable=True),
    sa.Column('preferred_learning', sa.String(length=100), nullable=True),
    sa.Column('surveyed_on', sa.Date(), nullable=False),
    sa.Column('is_migrant', sa.Boolean(), nullable=True),
    sa.Column('learner_id', sa.Integer(), nullable=True),
    sa.Column('matched_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_survey_contacts_learner_id_learners')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_survey_contacts_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_contacts')),
    sa.UniqueConstraint('uuid', name=op.f('uq_survey_contacts_uuid'))
    )
    with op.batch_alter_table('survey_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_contacts_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_contacts_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_contacts_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_contacts_township_id'), ['township_id'], unique=False)


def downgrade() -> None:
    op.drop_table('survey_contacts')
