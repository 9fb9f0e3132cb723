"""the whole domain schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 13:02:12.866323
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role = 'owner' OR role = 'marketing' OR role = 'sales' OR role = 'viewer'", name=op.f('ck_app_user_role_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('email', name=op.f('uq_app_user_email'))
    )
    op.create_table('cadence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadence')),
    sa.UniqueConstraint('name', name=op.f('uq_cadence_name'))
    )
    op.create_table('currency_rate',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_currency_rate_rate_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_currency_rate')),
    sa.UniqueConstraint('currency', 'valid_from', name=op.f('uq_currency_rate_currency_valid_from'))
    )
    op.create_table('demo_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('scale', sa.String(length=10), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demo_run'))
    )
    op.create_table('goal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('metric', sa.String(length=30), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("metric = 'revenue' OR metric = 'new_customers' OR metric = 'conversion_rate' OR metric = 'response_time' OR metric = 'engaged_contacts'", name=op.f('ck_goal_metric_allowed')),
    sa.CheckConstraint("unit <> 'minor_units' OR currency IS NOT NULL", name=op.f('ck_goal_money_has_currency')),
    sa.CheckConstraint("unit = 'minor_units' OR unit = 'count' OR unit = 'basis_points' OR unit = 'seconds'", name=op.f('ck_goal_unit_allowed')),
    sa.CheckConstraint('period_end > period_start', name=op.f('ck_goal_period_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal'))
    )
    op.create_table('offer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=80), nullable=False),
    sa.Column('price_minor', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind = 'product' OR kind = 'service'", name=op.f('ck_offer_kind_allowed')),
    sa.CheckConstraint('price_minor >= 0', name=op.f('ck_offer_price_not_negative')),
    sa.CheckConstraint('unit_cost_minor >= 0', name=op.f('ck_offer_cost_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer')),
    sa.UniqueConstraint('sku', name=op.f('uq_offer_sku'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('industry', sa.String(length=80), nullable=True),
    sa.Column('size', sa.String(length=20), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('region', sa.String(length=120), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )
    op.create_table('persona',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind = 'declared' OR kind = 'discovered'", name=op.f('ck_persona_kind_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persona')),
    sa.UniqueConstraint('name', name=op.f('uq_persona_name'))
    )
    op.create_table('plan',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('vision', sa.Text(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('period_end > period_start', name=op.f('ck_plan_period_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan'))
    )
    op.create_table('workspace',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('base_currency', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('default_region', sa.String(length=2), nullable=False),
    sa.Column('business_hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_workspace_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('campaign',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('utm_campaign', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('persona_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('goal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('budget_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ideas', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_campaign_channel_allowed')),
    sa.CheckConstraint("status = 'planned' OR status = 'running' OR status = 'done' OR status = 'cancelled'", name=op.f('ck_campaign_status_allowed')),
    sa.CheckConstraint('budget_minor >= 0', name=op.f('ck_campaign_budget_not_negative')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_campaign_ends_after_start')),
    sa.ForeignKeyConstraint(['goal_id'], ['goal.id'], name=op.f('fk_campaign_goal_id_goal'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['persona_id'], ['persona.id'], name=op.f('fk_campaign_persona_id_persona'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_campaign_plan_id_plan'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('name', name=op.f('uq_campaign_name')),
    sa.UniqueConstraint('utm_campaign', name=op.f('uq_campaign_utm_campaign'))
    )
    op.create_table('contact',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('lifecycle_stage', sa.String(length=20), nullable=False),
    sa.Column('first_channel', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('region', sa.String(length=120), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("first_channel = 'instagram' OR first_channel = 'facebook' OR first_channel = 'linkedin' OR first_channel = 'x' OR first_channel = 'tiktok' OR first_channel = 'youtube' OR first_channel = 'website' OR first_channel = 'email' OR first_channel = 'phone' OR first_channel = 'whatsapp' OR first_channel = 'in_person' OR first_channel = 'referral' OR first_channel = 'marketplace' OR first_channel = 'other'", name=op.f('ck_contact_first_channel_allowed')),
    sa.CheckConstraint("lifecycle_stage = 'follower' OR lifecycle_stage = 'engager' OR lifecycle_stage = 'lead' OR lifecycle_stage = 'opportunity' OR lifecycle_stage = 'customer' OR lifecycle_stage = 'ambassador'", name=op.f('ck_contact_lifecycle_stage_allowed')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_contact_organisation_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['app_user.id'], name=op.f('fk_contact_owner_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact'))
    )
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index('ix_contact_lifecycle_stage', ['lifecycle_stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('insight',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("kind = 'need' OR kind = 'product_idea' OR kind = 'objection'", name=op.f('ck_insight_kind_allowed')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['app_user.id'], name=op.f('fk_insight_created_by_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight'))
    )
    op.create_table('review_cycle',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('previous_cycle_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=True),
    sa.Column('learned', sa.Text(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("status = 'open' OR status = 'closed'", name=op.f('ck_review_cycle_status_allowed')),
    sa.CheckConstraint('ends_on > starts_on', name=op.f('ck_review_cycle_period_not_empty')),
    sa.ForeignKeyConstraint(['closed_by_user_id'], ['app_user.id'], name=op.f('fk_review_cycle_closed_by_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_review_cycle_plan_id_plan'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['previous_cycle_id'], ['review_cycle.id'], name=op.f('fk_review_cycle_previous_cycle_id_review_cycle'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cycle'))
    )
    op.create_table('web_session',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_web_session_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_web_session_key_hash'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], name=op.f('fk_audit_event_actor_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_audit_event_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_contact_at', ['contact_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_event_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('evidence_source', sa.String(length=200), nullable=False),
    sa.Column('evidence_text', sa.Text(), nullable=False),
    sa.Column('recorded_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_consent_channel_allowed')),
    sa.CheckConstraint("purpose = 'information' OR purpose = 'trial' OR purpose = 'education' OR purpose = 'inspiration' OR purpose = 'marketing'", name=op.f('ck_consent_purpose_allowed')),
    sa.CheckConstraint('withdrawn_at IS NULL OR withdrawn_at >= granted_at', name=op.f('ck_consent_withdrawn_after_granted')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_consent_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['app_user.id'], name=op.f('fk_consent_recorded_by_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index('ix_consent_contact_purpose', ['contact_id', 'purpose', 'channel'], unique=False)

    op.create_table('conversation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_conversation_channel_allowed')),
    sa.CheckConstraint("status = 'open' OR status = 'closed'", name=op.f('ck_conversation_status_allowed')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_conversation_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation'))
    )
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversation_contact_id'), ['contact_id'], unique=False)

    op.create_table('deal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('value_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('expected_close_on', sa.Date(), nullable=True),
    sa.Column('close_where', sa.String(length=200), nullable=True),
    sa.Column('close_how', sa.String(length=200), nullable=True),
    sa.Column('close_by', sa.Date(), nullable=True),
    sa.Column('lost_reason', sa.String(length=60), nullable=True),
    sa.Column('lost_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("stage = 'new' OR stage = 'qualified' OR stage = 'proof' OR stage = 'proposal' OR stage = 'closing' OR stage = 'won' OR stage = 'lost' OR stage = 'nurture'", name=op.f('ck_deal_stage_allowed')),
    sa.CheckConstraint('value_minor >= 0', name=op.f('ck_deal_value_not_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_deal_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_deal_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['app_user.id'], name=op.f('fk_deal_owner_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal'))
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_deal_stage', ['stage'], unique=False)

    op.create_table('demo_persona_truth',
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('persona_key', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_demo_persona_truth_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_demo_persona_truth'))
    )
    op.create_table('engagement',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('is_spam', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_engagement_channel_allowed')),
    sa.CheckConstraint("kind = 'follow' OR kind = 'like' OR kind = 'comment' OR kind = 'share' OR kind = 'mention' OR kind = 'message' OR kind = 'reply' OR kind = 'form_submit' OR kind = 'visit' OR kind = 'review' OR kind = 'query'", name=op.f('ck_engagement_kind_allowed')),
    sa.ForeignKeyConstraint(['answered_by_user_id'], ['app_user.id'], name=op.f('fk_engagement_answered_by_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_engagement_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_engagement_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_engagement_source_external_id'))
    )
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.create_index('ix_engagement_contact_at', ['contact_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_engagement_waiting', ['answered_at', 'is_spam'], unique=False)

    op.create_table('identity',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_identity_channel_allowed')),
    sa.CheckConstraint("kind = 'handle' OR channel = kind", name=op.f('ck_identity_email_phone_channel')),
    sa.CheckConstraint("kind = 'email' OR kind = 'phone' OR kind = 'handle'", name=op.f('ck_identity_kind_allowed')),
    sa.CheckConstraint('length(value) > 0', name=op.f('ck_identity_value_not_empty')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_identity_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity')),
    sa.UniqueConstraint('kind', 'channel', 'value', name=op.f('uq_identity_kind_channel_value'))
    )
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_contact_id'), ['contact_id'], unique=False)

    op.create_table('persona_fit',
    sa.Column('persona_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 0 AND score <= 1', name=op.f('ck_persona_fit_score_in_unit_range')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_persona_fit_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['persona_id'], ['persona.id'], name=op.f('fk_persona_fit_persona_id_persona'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('persona_id', 'contact_id', name=op.f('pk_persona_fit'))
    )
    with op.batch_alter_table('persona_fit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persona_fit_contact_id'), ['contact_id'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referrer_contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referred_contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('referred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reward_minor', sa.BigInteger(), nullable=False),
    sa.Column('reward_currency', sa.String(length=3), nullable=False),
    sa.CheckConstraint('referrer_contact_id <> referred_contact_id', name=op.f('ck_referral_not_self')),
    sa.CheckConstraint('reward_minor >= 0', name=op.f('ck_referral_reward_not_negative')),
    sa.ForeignKeyConstraint(['referred_contact_id'], ['contact.id'], name=op.f('fk_referral_referred_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referrer_contact_id'], ['contact.id'], name=op.f('fk_referral_referrer_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('referred_contact_id', name=op.f('uq_referral_referred_contact_id'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_referrer_contact_id'), ['referrer_contact_id'], unique=False)

    op.create_table('spend',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_spend_amount_not_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_spend_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_spend_source_external_id'))
    )
    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.create_index('ix_spend_campaign_on', ['campaign_id', 'spent_on'], unique=False)

    op.create_table('touch',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('utm_source', sa.String(length=200), nullable=True),
    sa.Column('utm_medium', sa.String(length=200), nullable=True),
    sa.Column('utm_campaign', sa.String(length=200), nullable=True),
    sa.Column('utm_content', sa.String(length=200), nullable=True),
    sa.Column('utm_term', sa.String(length=200), nullable=True),
    sa.Column('referrer', sa.String(length=2000), nullable=True),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_touch_channel_allowed')),
    sa.CheckConstraint("kind = 'ad_click' OR kind = 'ad_view' OR kind = 'email_sent' OR kind = 'email_open' OR kind = 'email_click' OR kind = 'post_seen' OR kind = 'visit'", name=op.f('ck_touch_kind_allowed')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_touch_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_touch_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touch')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_touch_source_external_id'))
    )
    with op.batch_alter_table('touch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_touch_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_touch_contact_at', ['contact_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_touch_visitor_id'), ['visitor_id'], unique=False)

    op.create_table('deal_offer',
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('offer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_deal_offer_quantity_positive')),
    sa.CheckConstraint('unit_price_minor >= 0', name=op.f('ck_deal_offer_price_not_negative')),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_offer_deal_id_deal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_deal_offer_offer_id_offer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('deal_id', 'offer_id', name=op.f('pk_deal_offer'))
    )
    op.create_table('deal_stage_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=True),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("to_stage = 'new' OR to_stage = 'qualified' OR to_stage = 'proof' OR to_stage = 'proposal' OR to_stage = 'closing' OR to_stage = 'won' OR to_stage = 'lost' OR to_stage = 'nurture'", name=op.f('ck_deal_stage_change_to_stage_allowed')),
    sa.ForeignKeyConstraint(['changed_by_user_id'], ['app_user.id'], name=op.f('fk_deal_stage_change_changed_by_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_stage_change_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_stage_change'))
    )
    with op.batch_alter_table('deal_stage_change', schema=None) as batch_op:
        batch_op.create_index('ix_deal_stage_change_deal_at', ['deal_id', 'changed_at'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('author_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('in_reply_to_engagement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('legal_basis', sa.String(length=30), nullable=True),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_message_channel_allowed')),
    sa.CheckConstraint("direction = 'inbound' OR legal_basis IS NOT NULL", name=op.f('ck_message_outbound_has_basis')),
    sa.CheckConstraint("direction = 'inbound' OR direction = 'outbound'", name=op.f('ck_message_direction_allowed')),
    sa.CheckConstraint("legal_basis = 'consent' OR legal_basis = 'legitimate_interest' OR legal_basis = 'transactional'", name=op.f('ck_message_legal_basis_allowed')),
    sa.ForeignKeyConstraint(['author_user_id'], ['app_user.id'], name=op.f('fk_message_author_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_message_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['in_reply_to_engagement_id'], ['engagement.id'], name=op.f('fk_message_in_reply_to_engagement_id_engagement'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_conversation_at', ['conversation_id', 'sent_at'], unique=False)

    op.create_table('query',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_query_channel_allowed')),
    sa.CheckConstraint("kind = 'question' OR kind = 'concern' OR kind = 'complaint' OR kind = 'suggestion'", name=op.f('ck_query_kind_allowed')),
    sa.CheckConstraint('first_response_at IS NULL OR first_response_at >= opened_at', name=op.f('ck_query_response_after_open')),
    sa.CheckConstraint('resolved_at IS NULL OR resolved_at >= opened_at', name=op.f('ck_query_resolved_after_open')),
    sa.ForeignKeyConstraint(['assigned_user_id'], ['app_user.id'], name=op.f('fk_query_assigned_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_query_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_query_conversation_id_conversation'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_query'))
    )
    with op.batch_alter_table('query', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_query_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_query_open', ['first_response_at', 'opened_at'], unique=False)

    op.create_table('sales_order',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('ordered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel = 'instagram' OR channel = 'facebook' OR channel = 'linkedin' OR channel = 'x' OR channel = 'tiktok' OR channel = 'youtube' OR channel = 'website' OR channel = 'email' OR channel = 'phone' OR channel = 'whatsapp' OR channel = 'in_person' OR channel = 'referral' OR channel = 'marketplace' OR channel = 'other'", name=op.f('ck_sales_order_channel_allowed')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_sales_order_contact_id_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_sales_order_deal_id_deal'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_order')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_sales_order_source_external_id'))
    )
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_order_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_sales_order_ordered_at', ['ordered_at'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cadence_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('assigned_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_user_id'], ['app_user.id'], name=op.f('fk_task_assigned_user_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cadence_id'], ['cadence.id'], name=op.f('fk_task_cadence_id_cadence'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_task_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_task_deal_id_deal'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_task_due', ['assigned_user_id', 'done_at', 'due_at'], unique=False)

    op.create_table('insight_query',
    sa.Column('insight_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('query_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['insight_id'], ['insight.id'], name=op.f('fk_insight_query_insight_id_insight'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['query_id'], ['query.id'], name=op.f('fk_insight_query_query_id_query'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('insight_id', 'query_id', name=op.f('pk_insight_query'))
    )
    op.create_table('order_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost_minor', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_order_line_quantity_not_zero')),
    sa.CheckConstraint('unit_cost_minor IS NULL OR unit_cost_minor >= 0', name=op.f('ck_order_line_cost_not_negative')),
    sa.CheckConstraint('unit_price_minor >= 0', name=op.f('ck_order_line_price_not_negative')),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_order_line_offer_id_offer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['sales_order.id'], name=op.f('fk_order_line_order_id_sales_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line')),
    sa.UniqueConstraint('order_id', 'line_no', name=op.f('uq_order_line_order_id_line_no'))
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_offer_id'), ['offer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_offer_id'))

    op.drop_table('order_line')
    op.drop_table('insight_query')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_due')
        batch_op.drop_index(batch_op.f('ix_task_contact_id'))

    op.drop_table('task')
    with op.batch_alter_table('sales_order', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_order_ordered_at')
        batch_op.drop_index(batch_op.f('ix_sales_order_contact_id'))

    op.drop_table('sales_order')
    with op.batch_alter_table('query', schema=None) as batch_op:
        batch_op.drop_index('ix_query_open')
        batch_op.drop_index(batch_op.f('ix_query_contact_id'))

    op.drop_table('query')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_conversation_at')

    op.drop_table('message')
    with op.batch_alter_table('deal_stage_change', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_stage_change_deal_at')

    op.drop_table('deal_stage_change')
    op.drop_table('deal_offer')
    with op.batch_alter_table('touch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_touch_visitor_id'))
        batch_op.drop_index('ix_touch_contact_at')
        batch_op.drop_index(batch_op.f('ix_touch_campaign_id'))

    op.drop_table('touch')
    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.drop_index('ix_spend_campaign_on')

    op.drop_table('spend')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_referrer_contact_id'))

    op.drop_table('referral')
    with op.batch_alter_table('persona_fit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persona_fit_contact_id'))

    op.drop_table('persona_fit')
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_contact_id'))

    op.drop_table('identity')
    with op.batch_alter_table('engagement', schema=None) as batch_op:
        batch_op.drop_index('ix_engagement_waiting')
        batch_op.drop_index('ix_engagement_contact_at')

    op.drop_table('engagement')
    op.drop_table('demo_persona_truth')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_stage')
        batch_op.drop_index(batch_op.f('ix_deal_contact_id'))

    op.drop_table('deal')
    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_contact_id'))

    op.drop_table('conversation')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_contact_purpose')

    op.drop_table('consent')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_entity')
        batch_op.drop_index('ix_audit_event_contact_at')

    op.drop_table('audit_event')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))

    op.drop_table('web_session')
    op.drop_table('review_cycle')
    op.drop_table('insight')
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_organisation_id'))
        batch_op.drop_index('ix_contact_lifecycle_stage')

    op.drop_table('contact')
    op.drop_table('campaign')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('workspace')
    op.drop_table('plan')
    op.drop_table('persona')
    op.drop_table('organisation')
    op.drop_table('offer')
    op.drop_table('goal')
    op.drop_table('demo_run')
    op.drop_table('currency_rate')
    op.drop_table('cadence')
    op.drop_table('app_user')
