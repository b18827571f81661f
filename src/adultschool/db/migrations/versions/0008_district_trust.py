"""district trust: a roster of schools with accepted keys, row owners, restore epochs, conflict decisions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:00:00

`sync_schools` becomes the district's roster: a school's key may be known only by its fingerprint (registered before
its first package) or not yet at all. Schools a district already trusted stay accepted. Packages are numbered within
a school's restore epoch. At a district, every row already merged gets the school that owns it, worked out from what
it hangs on (a school's own row by code; enrolments, classes and counts by their school; learners by their first
enrolment, else their township when only one school has it; the rest by the row they belong to); rows that cannot be
told (videos, a prospect of a township two schools serve) stay without owner.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_owners',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('table_name', sa.String(length=60), nullable=False),
    sa.Column('school_code', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_sync_owners'))
    )
    with op.batch_alter_table('sync_schools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('townships', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('key_accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('key_accepted_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('added_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retired_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.alter_column('public_key', existing_type=sa.String(length=100), nullable=True)
        batch_op.alter_column('fingerprint', existing_type=sa.String(length=60), nullable=True)

    with op.batch_alter_table('sync_packages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_sync_packages_school_sequence', type_='unique')
        batch_op.create_unique_constraint('uq_sync_packages_school_epoch_sequence', ['school_code', 'epoch', 'sequence'])

    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keep_school', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=100), nullable=True))

    bind = op.get_bind()
    # Schools the district trusted before the roster existed are on it now, their key accepted since first seen.
    bind.execute(sa.text("UPDATE sync_schools SET key_accepted_at = first_seen_at, key_accepted_by = 'trust on first use' "
                         "WHERE public_key IS NOT NULL"))
    kind = bind.execute(sa.text("SELECT value FROM site_settings WHERE key = 'site.kind'")).scalar()
    if kind == "district":
        _townships_of_trusted_schools(bind)
        _owners_of_merged_rows(bind)


def _townships_of_trusted_schools(bind) -> None:  # noqa: ANN001
    import json

    served: dict[str, list[str]] = {}
    for code, name in bind.execute(sa.text(
            "SELECT s.code, t.name FROM townships t JOIN schools s ON s.id = t.school_id ORDER BY t.name")):
        served.setdefault(code, []).append(name)
    for code, names in served.items():
        bind.execute(sa.text("UPDATE sync_schools SET townships = :t WHERE code = :c AND townships IS NULL"),
                     {"t": json.dumps(names, ensure_ascii=False), "c": code})


# Each step: (table, uuid, owning school code, FROM …). Later steps use the owners found by earlier ones.
_OWNER_STEPS = (
    ("schools", "x.uuid", "x.code", "schools x"),
    ("townships", "x.uuid", "s.code", "townships x JOIN schools s ON s.id = x.school_id"),
    ("township_quotas", "x.uuid", "o.school_code",
     "township_quotas x JOIN townships t ON t.id = x.township_id JOIN sync_owners o ON o.uuid = t.uuid"),
    ("township_counts", "x.uuid", "s.code", "township_counts x JOIN schools s ON s.id = x.school_id"),
    ("enrolments", "x.uuid", "s.code", "enrolments x JOIN schools s ON s.id = x.school_id"),
    # A person without an enrolment (a surveyed prospect) belongs to its township's school only when no other school
    # sent a township of that name: otherwise it cannot be told whose it is, and stays without owner.
    ("learners", "x.uuid",
     "COALESCE((SELECT s.code FROM enrolments e JOIN schools s ON s.id = e.school_id WHERE e.learner_id = x.id "
     "ORDER BY e.id LIMIT 1), (SELECT s.code FROM townships t JOIN schools s ON s.id = t.school_id "
     "WHERE t.id = x.township_id AND NOT EXISTS (SELECT 1 FROM sync_aliases a "
     "WHERE a.table_name = 'townships' AND a.local_id = t.id)))", "learners x"),
    ("classes", "x.uuid", "s.code", "classes x JOIN schools s ON s.id = x.school_id"),
    ("class_members", "x.uuid", "o.school_code",
     "class_members x JOIN classes c ON c.id = x.class_id JOIN sync_owners o ON o.uuid = c.uuid"),
    ("class_sessions", "x.uuid", "o.school_code",
     "class_sessions x JOIN classes c ON c.id = x.class_id JOIN sync_owners o ON o.uuid = c.uuid"),
    ("attendance", "x.uuid", "o.school_code",
     "attendance x JOIN class_sessions c ON c.id = x.session_id JOIN sync_owners o ON o.uuid = c.uuid"),
    ("study_records", "x.uuid", "o.school_code",
     "study_records x JOIN enrolments e ON e.id = x.enrolment_id JOIN sync_owners o ON o.uuid = e.uuid"),
    # Videos are one catalogue that every school's study records point to: whose a video first was is not recorded,
    # so they stay without owner (the first school to change one owns it from then on).
    ("exam_applications", "x.uuid", "o.school_code",
     "exam_applications x JOIN enrolments e ON e.id = x.enrolment_id JOIN sync_owners o ON o.uuid = e.uuid"),
    ("exam_results", "x.uuid", "o.school_code",
     "exam_results x JOIN enrolments e ON e.id = x.enrolment_id JOIN sync_owners o ON o.uuid = e.uuid"),
    ("certificates", "x.uuid", "o.school_code",
     "certificates x JOIN enrolments e ON e.id = x.enrolment_id JOIN sync_owners o ON o.uuid = e.uuid"),
    ("certificate_prints", "x.uuid", "o.school_code",
     "certificate_prints x JOIN certificates c ON c.id = x.certificate_id JOIN sync_owners o ON o.uuid = c.uuid"),
    ("skill_certificates", "x.uuid", "o.school_code",
     "skill_certificates x JOIN learners l ON l.id = x.learner_id JOIN sync_owners o ON o.uuid = l.uuid"),
    # A school's own uuid for a person the district settled as the same person, and for its own school row.
    ("learners", "a.uuid", "c.incoming_school", "sync_aliases a JOIN sync_conflicts c ON c.incoming_uuid = a.uuid"),
    ("schools", "a.uuid", "s.code", "sync_aliases a JOIN schools s ON s.id = a.local_id AND a.table_name = 'schools'"),
)


def _owners_of_merged_rows(bind) -> None:  # noqa: ANN001
    for table, uuid, code, source in _OWNER_STEPS:
        bind.execute(sa.text(
            f"INSERT INTO sync_owners (uuid, table_name, school_code) SELECT q.uuid, '{table}', q.code "
            f"FROM (SELECT {uuid} AS uuid, {code} AS code FROM {source}) q WHERE q.code IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM sync_owners o WHERE o.uuid = q.uuid)"))


def downgrade() -> None:
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.drop_column('decided_by')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('keep_school')

    op.execute("DELETE FROM sync_packages WHERE epoch > 0")
    with op.batch_alter_table('sync_packages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sync_packages_school_epoch_sequence', type_='unique')
        batch_op.create_unique_constraint('uq_sync_packages_school_sequence', ['school_code', 'sequence'])
        batch_op.drop_column('epoch')

    op.execute("DELETE FROM sync_schools WHERE public_key IS NULL OR fingerprint IS NULL")
    with op.batch_alter_table('sync_schools', schema=None) as batch_op:
        batch_op.alter_column('fingerprint', existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column('public_key', existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_column('epoch')
        batch_op.drop_column('retired_reason')
        batch_op.drop_column('retired_at')
        batch_op.drop_column('added_by')
        batch_op.drop_column('key_accepted_by')
        batch_op.drop_column('key_accepted_at')
        batch_op.drop_column('townships')

    op.drop_table('sync_owners')
