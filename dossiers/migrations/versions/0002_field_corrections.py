"""Field corrections: staff corrections of extracted values, per client.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('field_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_email', sa.String(length=320), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('review_item_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=100), nullable=False),
    sa.Column('value_before', sa.Text(), nullable=True),
    sa.Column('value_after', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('corrected_by', sa.String(length=100), nullable=False),
    sa.Column('corrected_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_field_corrections_client_id_clients')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_field_corrections_dossier_id_dossiers')),
    sa.ForeignKeyConstraint(['review_item_id'], ['review_items.id'], name=op.f('fk_field_corrections_review_item_id_review_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_corrections'))
    )
    with op.batch_alter_table('field_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_corrections_client_email'), ['client_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_field_corrections_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_field_corrections_dossier_id'), ['dossier_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('field_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_corrections_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_field_corrections_client_id'))
        batch_op.drop_index(batch_op.f('ix_field_corrections_client_email'))
    op.drop_table('field_corrections')
