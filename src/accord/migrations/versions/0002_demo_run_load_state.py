"""demo run load state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 13:03:55.064155
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('demo_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_on', sa.Date(), nullable=False))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_demo_run_status_allowed'), "status = 'loading' OR status = 'loaded'"
        )


def downgrade() -> None:
    with op.batch_alter_table('demo_run', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_demo_run_status_allowed'), type_='check')
        batch_op.drop_column('status')
        batch_op.drop_column('anchor_on')

