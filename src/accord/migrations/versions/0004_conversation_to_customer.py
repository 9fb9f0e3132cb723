"""conversation to customer: proof, qualification, SLA targets, deal versions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:14:22.765785
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sla_target',
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=True),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_sla_target_channel_allowed')),
    sa.CheckConstraint('first_response_minutes > 0', name=op.f('ck_sla_target_response_positive')),
    sa.CheckConstraint('resolution_minutes IS NULL OR resolution_minutes >= first_response_minutes', name=op.f('ck_sla_target_resolution_after_response')),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_sla_target'))
    )
    op.create_table('proof',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('offer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("kind = 'demo' OR kind = 'trial' OR kind = 'sample' OR kind = 'testimonial' OR kind = 'case_study'", name=op.f('ck_proof_kind_allowed')),
    sa.CheckConstraint('deal_id IS NOT NULL OR offer_id IS NOT NULL', name=op.f('ck_proof_about_a_deal_or_offer')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_proof_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_proof_deal_id_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_proof_offer_id_offer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['app_user.id'], name=op.f('fk_proof_recorded_by_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proof'))
    )
    with op.batch_alter_table('proof', schema=None) as batch_op:
        batch_op.create_index('ix_proof_deal', ['deal_id'], unique=False)
        batch_op.create_index('ix_proof_offer', ['offer_id'], unique=False)

    op.create_table('qualification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('budget_now', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('permission_answer', sa.String(length=10), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('asked_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("permission_answer = 'pending' OR permission_answer = 'granted' OR permission_answer = 'declined'", name=op.f('ck_qualification_permission_answer_allowed')),
    sa.ForeignKeyConstraint(['asked_by_user_id'], ['app_user.id'], name=op.f('fk_qualification_asked_by_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_qualification_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_qualification_deal_id_deal'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification'))
    )
    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.create_index('ix_qualification_contact', ['contact_id', 'asked_at'], unique=False)

    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('qualification', schema=None) as batch_op:
        batch_op.drop_index('ix_qualification_contact')

    op.drop_table('qualification')
    with op.batch_alter_table('proof', schema=None) as batch_op:
        batch_op.drop_index('ix_proof_offer')
        batch_op.drop_index('ix_proof_deal')

    op.drop_table('proof')
    op.drop_table('sla_target')
