"""plan as data: business review, competitors, attributes, goal direction

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:11:55.098846
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('competitor',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("scope = 'local' OR scope = 'international'", name=op.f('ck_competitor_scope_allowed')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competitor')),
    sa.UniqueConstraint('name', name=op.f('uq_competitor_name'))
    )
    op.create_table('business_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('vision', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('number > 0', name=op.f('ck_business_version_number_positive')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['app_user.id'], name=op.f('fk_business_version_created_by_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_version')),
    sa.UniqueConstraint('number', name=op.f('uq_business_version_number'))
    )
    op.create_table('competitor_observation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('competitor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('observed_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_competitor_observation_text_not_empty')),
    sa.ForeignKeyConstraint(['competitor_id'], ['competitor.id'], name=op.f('fk_competitor_observation_competitor_id_competitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['app_user.id'], name=op.f('fk_competitor_observation_recorded_by_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competitor_observation'))
    )
    with op.batch_alter_table('competitor_observation', schema=None) as batch_op:
        batch_op.create_index('ix_competitor_observation_on', ['competitor_id', 'observed_on'], unique=False)

    op.create_table('business_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind = 'need' OR kind = 'opportunity' OR kind = 'improvement' OR kind = 'strength' OR kind = 'exception'", name=op.f('ck_business_entry_kind_allowed')),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_business_entry_text_not_empty')),
    sa.ForeignKeyConstraint(['version_id'], ['business_version.id'], name=op.f('fk_business_entry_version_id_business_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_entry'))
    )
    with op.batch_alter_table('business_entry', schema=None) as batch_op:
        batch_op.create_index('ix_business_entry_version', ['version_id', 'kind', 'position'], unique=False)

    op.create_table('contact_attribute',
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.CheckConstraint('length(key) > 0', name=op.f('ck_contact_attribute_key_not_empty')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_contact_attribute_contact_id_contact'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'key', 'value', name=op.f('pk_contact_attribute'))
    )
    with op.batch_alter_table('contact_attribute', schema=None) as batch_op:
        batch_op.create_index('ix_contact_attribute_key_value', ['key', 'value'], unique=False)

    op.create_table('deal_attribute',
    sa.Column('deal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=300), nullable=False),
    sa.CheckConstraint('length(key) > 0', name=op.f('ck_deal_attribute_key_not_empty')),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_attribute_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('deal_id', 'key', 'value', name=op.f('pk_deal_attribute'))
    )
    with op.batch_alter_table('deal_attribute', schema=None) as batch_op:
        batch_op.create_index('ix_deal_attribute_key_value', ['key', 'value'], unique=False)

    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=10), server_default='at_least', nullable=False))
        batch_op.add_column(sa.Column('plan_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_goal_plan_id_plan'), 'plan', ['plan_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_goal_direction_allowed'), "direction = 'at_least' OR direction = 'at_most'")



def downgrade() -> None:
    with op.batch_alter_table('goal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_goal_direction_allowed'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_goal_plan_id_plan'), type_='foreignkey')
        batch_op.drop_column('plan_id')
        batch_op.drop_column('direction')

    with op.batch_alter_table('deal_attribute', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_attribute_key_value')

    op.drop_table('deal_attribute')
    with op.batch_alter_table('contact_attribute', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_attribute_key_value')

    op.drop_table('contact_attribute')
    with op.batch_alter_table('business_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_business_entry_version')

    op.drop_table('business_entry')
    with op.batch_alter_table('competitor_observation', schema=None) as batch_op:
        batch_op.drop_index('ix_competitor_observation_on')

    op.drop_table('competitor_observation')
    op.drop_table('business_version')
    op.drop_table('competitor')
