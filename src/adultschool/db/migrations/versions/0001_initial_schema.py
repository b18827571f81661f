"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:57:55.552160
"""
from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_uuid', sa.String(length=36), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entries_hash'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_entity_uuid'), ['entity_uuid'], unique=False)

    op.create_table('rules',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rules'))
    )
    op.create_table('schools',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('code', name=op.f('uq_schools_code')),
    sa.UniqueConstraint('uuid', name=op.f('uq_schools_uuid'))
    )
    op.create_table('site_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_site_settings'))
    )
    op.create_table('student_number_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_student_number_counters_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_number_counters')),
    sa.UniqueConstraint('school_id', 'year', name='uq_student_number_counters_school_year')
    )
    op.create_table('townships',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_townships_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_townships')),
    sa.UniqueConstraint('name', name=op.f('uq_townships_name')),
    sa.UniqueConstraint('uuid', name=op.f('uq_townships_uuid'))
    )
    op.create_table('learners',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('gender', sa.Enum('male', 'female', name='gender', native_enum=False, length=20), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('education', sa.String(length=50), nullable=True),
    sa.Column('household_location', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('employer', sa.String(length=200), nullable=True),
    sa.Column('job', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('is_migrant', sa.Boolean(), nullable=True),
    sa.Column('willingness', sa.Enum('yes', 'no', 'undecided', name='willingness', native_enum=False, length=20), nullable=True),
    sa.Column('preferred_learning', sa.String(length=100), nullable=True),
    sa.Column('surveyed_on', sa.Date(), nullable=True),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_learners_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learners')),
    sa.UniqueConstraint('id_number', name=op.f('uq_learners_id_number')),
    sa.UniqueConstraint('uuid', name=op.f('uq_learners_uuid'))
    )
    with op.batch_alter_table('learners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learners_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_learners_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_learners_township_id'), ['township_id'], unique=False)

    op.create_table('township_quotas',
    sa.Column('township_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_township_quotas_township_id_townships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_township_quotas')),
    sa.UniqueConstraint('township_id', 'year', name='uq_township_quotas_township_year'),
    sa.UniqueConstraint('uuid', name=op.f('uq_township_quotas_uuid'))
    )
    op.create_table('enrolments',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('junior', 'senior', name='level', native_enum=False, length=20), nullable=False),
    sa.Column('student_number', sa.String(length=40), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('learning_mode', sa.Enum('online', 'offline', name='learningmode', native_enum=False, length=20), nullable=True),
    sa.Column('status', sa.Enum('active', 'ready', 'exam_applied', 'passed', 'graduated', 'withdrawn', name='enrolmentstatus', native_enum=False, length=20), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('quota_year', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_enrolments_learner_id_learners')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_enrolments_school_id_schools')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_enrolments_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('student_number', name=op.f('uq_enrolments_student_number')),
    sa.UniqueConstraint('uuid', name=op.f('uq_enrolments_uuid'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_learner_id'), ['learner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_registered_on'), ['registered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_township_id'), ['township_id'], unique=False)
        batch_op.create_index('uq_enrolments_open_level', ['learner_id', 'level'], unique=True, sqlite_where=sa.text("status != 'withdrawn'"), postgresql_where=sa.text("status != 'withdrawn'"))


def downgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('uq_enrolments_open_level', sqlite_where=sa.text("status != 'withdrawn'"), postgresql_where=sa.text("status != 'withdrawn'"))
        batch_op.drop_index(batch_op.f('ix_enrolments_township_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_status'))
        batch_op.drop_index(batch_op.f('ix_enrolments_registered_on'))
        batch_op.drop_index(batch_op.f('ix_enrolments_learner_id'))

    op.drop_table('enrolments')
    op.drop_table('township_quotas')
    with op.batch_alter_table('learners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learners_township_id'))
        batch_op.drop_index(batch_op.f('ix_learners_phone'))
        batch_op.drop_index(batch_op.f('ix_learners_name'))

    op.drop_table('learners')
    op.drop_table('townships')
    op.drop_table('student_number_counters')
    op.drop_table('site_settings')
    op.drop_table('schools')
    op.drop_table('rules')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_entity_uuid'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_action'))

    op.drop_table('audit_entries')
