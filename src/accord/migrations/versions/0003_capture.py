"""capture: merges, spam decisions, import runs, waiting index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 13:19:36.942646
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=500), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('preset', sa.String(length=60), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_written', sa.BigInteger(), nullable=False),
    sa.Column('rows_duplicate', sa.BigInteger(), nullable=False),
    sa.Column('rows_rejected', sa.BigInteger(), nullable=False),
    sa.Column('rejects_path', sa.String(length=1000), nullable=True),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=120), nullable=False),
    sa.CheckConstraint("kind = 'engagements' OR kind = 'contacts' OR kind = 'orders' OR kind = 'leads' OR kind = 'spend' OR kind = 'touches'", name=op.f('ck_import_run_kind_allowed')),
    sa.CheckConstraint("status = 'running' OR status = 'finished' OR status = 'failed'", name=op.f('ck_import_run_status_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run'))
    )
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_run_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('contact_merge',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kept_contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merged_contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('kept_before', sa.JSON(), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_by', sa.String(length=120), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('kept_contact_id <> merged_contact_id', name=op.f('ck_contact_merge_not_self')),
    sa.ForeignKeyConstraint(['kept_contact_id'], ['contact.id'], name=op.f('fk_contact_merge_kept_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_contact_id'], ['contact.id'], name=op.f('fk_contact_merge_merged_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_merge'))
    )
    with op.batch_alter_table('contact_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_merge_kept_contact_id'), ['kept_contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_merge_merged_contact_id'), ['merged_contact_id'], unique=False)

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_contact_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_contact_merged_into_id_contact'), 'contact', ['merged_into_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spam_decided_by', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_engagement_spam_decided_by_allowed'), "spam_decided_by = 'classifier' OR spam_decided_by = 'user'"
        )
        batch_op.drop_index(batch_op.f('ix_engagement_waiting'))
        batch_op.create_index('ix_engagement_waiting', ['channel', 'occurred_at'], unique=False, sqlite_where=sa.text('answered_at IS NULL AND is_spam = 0'), postgresql_where=sa.text('answered_at IS NULL AND NOT is_spam'))
        batch_op.create_index('ix_engagement_waiting_age', ['occurred_at'], unique=False, sqlite_where=sa.text('answered_at IS NULL AND is_spam = 0'), postgresql_where=sa.text('answered_at IS NULL AND NOT is_spam'))



def downgrade() -> None:
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_index('ix_engagement_waiting_age', sqlite_where=sa.text('answered_at IS NULL AND is_spam = 0'), postgresql_where=sa.text('answered_at IS NULL AND NOT is_spam'))
        batch_op.drop_index('ix_engagement_waiting', sqlite_where=sa.text('answered_at IS NULL AND is_spam = 0'), postgresql_where=sa.text('answered_at IS NULL AND NOT is_spam'))
        batch_op.create_index(batch_op.f('ix_engagement_waiting'), ['answered_at', 'is_spam'], unique=False)
        batch_op.drop_constraint(op.f('ck_engagement_spam_decided_by_allowed'), type_='check')
        batch_op.drop_column('spam_decided_by')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contact_merged_into_id_contact'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contact_merged_into_id'))
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('contact_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_merge_merged_contact_id'))
        batch_op.drop_index(batch_op.f('ix_contact_merge_kept_contact_id'))

    op.drop_table('contact_merge')
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_run_file_sha256'))

    op.drop_table('import_run')
