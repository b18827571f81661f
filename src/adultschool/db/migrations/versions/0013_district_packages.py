"""the district's packages to its schools: the schools' box keys and package numbers, exam rounds, results the
district recorded, and at a school the district packages applied

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_schools') as batch:
        batch.add_column(sa.Column('box_key', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('district_sequence', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('last_receipt_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('district_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_code', sa.String(length=40), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('made_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district_exports')),
    sa.UniqueConstraint('school_code', 'sequence', name='uq_district_exports_school_sequence')
    )
    op.create_index(op.f('ix_district_exports_school_code'), 'district_exports', ['school_code'], unique=False)
    op.create_table('district_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.String(length=40), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('applied_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district_imports')),
    sa.UniqueConstraint('sequence', name=op.f('uq_district_imports_sequence'))
    )
    op.create_table('exam_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('site', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Enum('junior', 'senior', name='level', native_enum=False, create_constraint=False, length=20), nullable=True),
    sa.Column('courses', sa.Text(), nullable=False),
    sa.Column('apply_by', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_rounds')),
    sa.UniqueConstraint('name', name=op.f('uq_exam_rounds_name'))
    )
    op.create_table('district_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_code', sa.String(length=40), nullable=False),
    sa.Column('student_number', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('course', sa.String(length=100), nullable=False),
    sa.Column('mark', sa.Enum('scored', 'absent', 'cheating', name='exammark', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('exam_date', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_district_results')),
    sa.UniqueConstraint('student_number', 'course', 'exam_date', name='uq_district_results_attempt')
    )
    op.create_index(op.f('ix_district_results_school_code'), 'district_results', ['school_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_district_results_school_code'), table_name='district_results')
    op.drop_table('district_results')
    op.drop_table('exam_rounds')
    op.drop_table('district_imports')
    op.drop_index(op.f('ix_district_exports_school_code'), table_name='district_exports')
    op.drop_table('district_exports')
    with op.batch_alter_table('sync_schools') as batch:
        batch.drop_column('last_receipt_at')
        batch.drop_column('district_sequence')
        batch.drop_column('box_key')
