"""ways back: withdrawal and void of enrolments, revoked certificates (a retake may earn a new one), import batches, tombstones; quota year by calendar

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:10:00

The partial index that keeps one open enrolment per person and level now leaves voided enrolments out as well.
Enrolments' quota year becomes the calendar year of registration (the new default of the rules table): at a school
the change bumps the row version so it travels; at the district it does not, so a school's own later edits still win.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_WHERE = "status != 'withdrawn'"
NEW_WHERE = "status NOT IN ('withdrawn', 'voided')"


def upgrade() -> None:
    op.create_table('deleted_rows',
    sa.Column('table_name', sa.String(length=60), nullable=False),
    sa.Column('row_uuid', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deleted_rows')),
    sa.UniqueConstraint('row_uuid', name=op.f('uq_deleted_rows_row_uuid')),
    sa.UniqueConstraint('uuid', name=op.f('uq_deleted_rows_uuid'))
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file', sa.String(length=300), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by', sa.String(length=100), nullable=True),
    sa.Column('undo_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_table('import_batch_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=60), nullable=False),
    sa.Column('row_uuid', sa.String(length=36), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_import_batch_items_batch_id_import_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch_items'))
    )
    with op.batch_alter_table('import_batch_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batch_items_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_batch_items_row_uuid'), ['row_uuid'], unique=False)

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('revoked_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('revoked_by', sa.String(length=100), nullable=True))
        # After a revocation a retake may earn a new certificate: one enrolment, several numbers over time.
        batch_op.drop_constraint('uq_certificates_enrolment_id', type_='unique')
        batch_op.create_index(batch_op.f('ix_certificates_enrolment_id'), ['enrolment_id'], unique=False)

    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_changed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('transfer_to', sa.String(length=200), nullable=True))
        batch_op.drop_index('uq_enrolments_open_level', sqlite_where=sa.text(OLD_WHERE), postgresql_where=sa.text(OLD_WHERE))
        batch_op.create_index('uq_enrolments_open_level', ['learner_id', 'level'], unique=True,
                              sqlite_where=sa.text(NEW_WHERE), postgresql_where=sa.text(NEW_WHERE))

    _quota_year_by_calendar()


def _quota_year_by_calendar() -> None:
    bind = op.get_bind()
    year = "CAST(strftime('%Y', registered_on) AS INTEGER)" if bind.dialect.name == "sqlite" \
        else "CAST(EXTRACT(YEAR FROM registered_on) AS INTEGER)"
    kind = bind.execute(sa.text("SELECT value FROM site_settings WHERE key = 'site.kind'")).scalar()
    bump = ", version = version + 1" if kind == "school" else ""
    bind.execute(sa.text(f"UPDATE enrolments SET quota_year = {year}{bump} WHERE quota_year != {year}"))


def downgrade() -> None:
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('uq_enrolments_open_level', sqlite_where=sa.text(NEW_WHERE), postgresql_where=sa.text(NEW_WHERE))
        batch_op.create_index('uq_enrolments_open_level', ['learner_id', 'level'], unique=True,
                              sqlite_where=sa.text(OLD_WHERE), postgresql_where=sa.text(OLD_WHERE))
        batch_op.drop_column('transfer_to')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('status_changed_on')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_enrolment_id'))
        batch_op.create_unique_constraint('uq_certificates_enrolment_id', ['enrolment_id'])
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revoked_reason')
        batch_op.drop_column('revoked_on')

    with op.batch_alter_table('import_batch_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batch_items_row_uuid'))
        batch_op.drop_index(batch_op.f('ix_import_batch_items_batch_id'))

    op.drop_table('import_batch_items')
    op.drop_table('import_batches')
    op.drop_table('deleted_rows')
