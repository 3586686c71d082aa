"""Collection track: debtor profiles, dossier terms, payments, holds, payment
arrangements with instalments, staff tasks and the client's court consent.

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('debtor_profiles',
    sa.Column('debtor_id', sa.Integer(), nullable=False),
    sa.Column('consumer', sa.Boolean(), nullable=False),
    sa.Column('natural_person_nl', sa.Boolean(), nullable=False),
    sa.Column('email_consent', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['debtor_id'], ['debtors.id'], name=op.f('fk_debtor_profiles_debtor_id_debtors')),
    sa.PrimaryKeyConstraint('debtor_id', name=op.f('pk_debtor_profiles'))
    )
    op.create_table('arrangements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('agreed_on', sa.Date(), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_arrangements_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrangements'))
    )
    op.create_index(op.f('ix_arrangements_dossier_id'), 'arrangements', ['dossier_id'], unique=False)
    op.create_table('court_consents',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('consented_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_court_consents_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('dossier_id', name=op.f('pk_court_consents'))
    )
    op.create_table('dossier_terms',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('contract_rate_percent', sa.String(length=12), nullable=True),
    sa.Column('cost_clause_percent', sa.String(length=12), nullable=True),
    sa.Column('instalment_claims', sa.Boolean(), nullable=False),
    sa.Column('default_on', sa.Date(), nullable=True),
    sa.Column('claimant_category', sa.String(length=30), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_terms_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('dossier_id', name=op.f('pk_dossier_terms'))
    )
    op.create_table('holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('lifted_by', sa.String(length=100), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_holds_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    op.create_index(op.f('ix_holds_dossier_id'), 'holds', ['dossier_id'], unique=False)
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_payments_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('external_id', name=op.f('uq_payments_external_id'))
    )
    op.create_index(op.f('ix_payments_dossier_id'), 'payments', ['dossier_id'], unique=False)
    op.create_table('staff_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('done_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_staff_tasks_dossier_id_dossiers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_tasks')),
    sa.UniqueConstraint('dossier_id', 'kind', 'phase', name=op.f('uq_staff_tasks_dossier_id'))
    )
    op.create_index(op.f('ix_staff_tasks_dossier_id'), 'staff_tasks', ['dossier_id'], unique=False)
    op.create_index(op.f('ix_staff_tasks_status'), 'staff_tasks', ['status'], unique=False)
    op.create_table('arrangement_instalments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['arrangement_id'], ['arrangements.id'], name=op.f('fk_arrangement_instalments_arrangement_id_arrangements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrangement_instalments')),
    sa.UniqueConstraint('arrangement_id', 'number', name=op.f('uq_arrangement_instalments_arrangement_id'))
    )
    op.create_index(op.f('ix_arrangement_instalments_arrangement_id'), 'arrangement_instalments', ['arrangement_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_arrangement_instalments_arrangement_id'), table_name='arrangement_instalments')
    op.drop_table('arrangement_instalments')
    op.drop_index(op.f('ix_staff_tasks_status'), table_name='staff_tasks')
    op.drop_index(op.f('ix_staff_tasks_dossier_id'), table_name='staff_tasks')
    op.drop_table('staff_tasks')
    op.drop_index(op.f('ix_payments_dossier_id'), table_name='payments')
    op.drop_table('payments')
    op.drop_index(op.f('ix_holds_dossier_id'), table_name='holds')
    op.drop_table('holds')
    op.drop_table('dossier_terms')
    op.drop_table('court_consents')
    op.drop_index(op.f('ix_arrangements_dossier_id'), table_name='arrangements')
    op.drop_table('arrangements')
    op.drop_table('debtor_profiles')
