"""classes attendance study records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:13:01.845410
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('videos',
    sa.Column('course', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('length_minutes', sa.Float(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_videos')),
    sa.UniqueConstraint('course', 'key', name='uq_videos_course_key'),
    sa.UniqueConstraint('uuid', name=op.f('uq_videos_uuid'))
    )
    op.create_table('classes',
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('class_type', sa.Enum('village', 'factory', 'night', 'retake', name='classtype', native_enum=False, length=20), nullable=False),
    sa.Column('level', sa.Enum('junior', 'senior', name='level', native_enum=False, length=20), nullable=False),
    sa.Column('teaching_site', sa.String(length=200), nullable=True),
    sa.Column('teacher', sa.String(length=100), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_classes_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classes')),
    sa.UniqueConstraint('school_id', 'name', name='uq_classes_school_name'),
    sa.UniqueConstraint('uuid', name=op.f('uq_classes_uuid'))
    )
    op.create_table('class_sessions',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=True),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('course', sa.String(length=100), nullable=True),
    sa.Column('topic', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_class_sessions_class_id_classes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_sessions')),
    sa.UniqueConstraint('class_id', 'held_on', 'starts_at', name='uq_class_sessions_class_day_time'),
    sa.UniqueConstraint('uuid', name=op.f('uq_class_sessions_uuid'))
    )
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_sessions_class_id'), ['class_id'], unique=False)

    op.create_table('attendance',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('present', 'late', 'left_early', 'absent', 'excused', name='attendancestatus', native_enum=False, length=20), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_attendance_enrolment_id_enrolments')),
    sa.ForeignKeyConstraint(['session_id'], ['class_sessions.id'], name=op.f('fk_attendance_session_id_class_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    sa.UniqueConstraint('session_id', 'enrolment_id', name='uq_attendance_session_enrolment'),
    sa.UniqueConstraint('uuid', name=op.f('uq_attendance_uuid'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_session_id'), ['session_id'], unique=False)

    op.create_table('class_members',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_class_members_class_id_classes')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_class_members_enrolment_id_enrolments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_class_members')),
    sa.UniqueConstraint('class_id', 'enrolment_id', name='uq_class_members_class_enrolment'),
    sa.UniqueConstraint('uuid', name=op.f('uq_class_members_uuid'))
    )
    with op.batch_alter_table('class_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_members_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_class_members_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('study_records',
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('minutes', sa.Float(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_study_records_enrolment_id_enrolments')),
    sa.ForeignKeyConstraint(['video_id'], ['videos.id'], name=op.f('fk_study_records_video_id_videos')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_records')),
    sa.UniqueConstraint('enrolment_id', 'video_id', name='uq_study_records_enrolment_video'),
    sa.UniqueConstraint('uuid', name=op.f('uq_study_records_uuid'))
    )
    with op.batch_alter_table('study_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_records_video_id'), ['video_id'], unique=False)

    op.create_table('study_totals',
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('video_minutes', sa.Float(), nullable=False),
    sa.Column('class_hours', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_study_totals_enrolment_id_enrolments')),
    sa.PrimaryKeyConstraint('enrolment_id', name=op.f('pk_study_totals'))
    )


def downgrade() -> None:
    op.drop_table('study_totals')
    with op.batch_alter_table('study_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_records_video_id'))

    op.drop_table('study_records')
    with op.batch_alter_table('class_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_members_enrolment_id'))
        batch_op.drop_index(batch_op.f('ix_class_members_class_id'))

    op.drop_table('class_members')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_session_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_enrolment_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('class_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_sessions_class_id'))

    op.drop_table('class_sessions')
    op.drop_table('classes')
    op.drop_table('videos')
