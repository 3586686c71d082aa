"""Optional TOTP second factor: one secret per user and the last accepted time step.

Revision ID: 0006
Revises: 0001
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = '0005'  # user_totp.user_id references users.id


def upgrade() -> None:
    op.create_table('user_totp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('enabled_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_step', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_totp_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_totp')),
    sa.UniqueConstraint('user_id', name=op.f('uq_user_totp_user_id'))
    )


def downgrade() -> None:
    op.drop_table('user_totp')
