"""Conversations: client sender addresses, review item kinds, bounced debtor e-mail,
and a rate key on outgoing mail.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('client_senders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('domain', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_senders_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_senders')),
    sa.UniqueConstraint('address', name=op.f('uq_client_senders_address')),
    sa.UniqueConstraint('domain', name=op.f('uq_client_senders_domain'))
    )
    with op.batch_alter_table('client_senders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_senders_client_id'), ['client_id'], unique=False)

    # Clients registered before this revision keep their address as a trusted sender.
    op.execute(
        "INSERT INTO client_senders (client_id, address, created_at, created_by) "
        "SELECT id, email, created_at, 'migration 0004' FROM clients"
    )

    with op.batch_alter_table('debtors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_unusable_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_unusable_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rate_key', sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_rate_key'), ['rate_key'], unique=False)

    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='intake', nullable=False))
        batch_op.add_column(sa.Column('suggested_dossier_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_review_items_kind'), ['kind'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_review_items_suggested_dossier_id_dossiers'), 'dossiers', ['suggested_dossier_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_items_suggested_dossier_id_dossiers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_review_items_kind'))
        batch_op.drop_column('suggested_dossier_id')
        batch_op.drop_column('kind')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_rate_key'))
        batch_op.drop_column('rate_key')

    with op.batch_alter_table('debtors', schema=None) as batch_op:
        batch_op.drop_column('email_unusable_reason')
        batch_op.drop_column('email_unusable_at')

    with op.batch_alter_table('client_senders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_senders_client_id'))

    op.drop_table('client_senders')
