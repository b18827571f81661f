"""exams results certificates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:41:10.629633
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_certificate_counters_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_counters')),
    sa.UniqueConstraint('school_id', 'year', name='uq_certificate_counters_school_year')
    )
    op.create_table('skill_certificates',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], name=op.f('fk_skill_certificates_learner_id_learners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_certificates')),
    sa.UniqueConstraint('learner_id', 'number', name='uq_skill_certificates_learner_number'),
    sa.UniqueConstraint('uuid', name=op.f('uq_skill_certificates_uuid'))
    )
    with op.batch_alter_table('skill_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_certificates_learner_id'), ['learner_id'], unique=False)

    op.create_table('certificates',
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('check_code', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_certificates_enrolment_id_enrolments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('enrolment_id', name=op.f('uq_certificates_enrolment_id')),
    sa.UniqueConstraint('number', name=op.f('uq_certificates_number')),
    sa.UniqueConstraint('uuid', name=op.f('uq_certificates_uuid'))
    )
    op.create_table('exam_applications',
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('round_name', sa.String(length=100), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('courses', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_exam_applications_enrolment_id_enrolments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_applications')),
    sa.UniqueConstraint('uuid', name=op.f('uq_exam_applications_uuid'))
    )
    with op.batch_alter_table('exam_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_applications_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('exam_results',
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('course', sa.String(length=100), nullable=False),
    sa.Column('mark', sa.Enum('scored', 'absent', 'cheating', name='exammark', native_enum=False, length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('exam_date', sa.Date(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_exam_results_enrolment_id_enrolments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_results')),
    sa.UniqueConstraint('uuid', name=op.f('uq_exam_results_uuid'))
    )
    with op.batch_alter_table('exam_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_results_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('certificate_prints',
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('printed_by', sa.String(length=100), nullable=False),
    sa.Column('reprint', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_prints_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_prints')),
    sa.UniqueConstraint('uuid', name=op.f('uq_certificate_prints_uuid'))
    )
    with op.batch_alter_table('certificate_prints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_prints_certificate_id'), ['certificate_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('certificate_prints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_prints_certificate_id'))

    op.drop_table('certificate_prints')
    with op.batch_alter_table('exam_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_results_enrolment_id'))

    op.drop_table('exam_results')
    with op.batch_alter_table('exam_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_applications_enrolment_id'))

    op.drop_table('exam_applications')
    op.drop_table('certificates')
    with op.batch_alter_table('skill_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_certificates_learner_id'))

    op.drop_table('skill_certificates')
    op.drop_table('certificate_counters')
