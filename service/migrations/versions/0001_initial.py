"""The service's tables, exactly as ``offduty_service.tables`` declares them.

Revision ID: 0001
Revises:
Create Date: 2026-12-04 22:29:12.833568

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create every table of ``offduty_service.tables``, parents before children."""
    op.create_table('bookings',
    sa.Column('request_id', sa.String(length=80), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=False),
    sa.Column('badge', sa.String(length=40), nullable=False),
    sa.Column('start', sa.String(length=40), nullable=False),
    sa.Column('end', sa.String(length=40), nullable=False),
    sa.Column('hours', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('request_id', 'slot')
    )
    op.create_table('clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('now', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('inputs',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=True),
    sa.Column('request_id', sa.String(length=80), nullable=True),
    sa.Column('job_version', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('spec_version', sa.String(length=200), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('request_id', 'job_version', name='uq_inputs_job_version')
    )
    op.create_table('invoices',
    sa.Column('request_id', sa.String(length=80), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=False),
    sa.Column('vendor', sa.String(length=200), nullable=False),
    sa.Column('billed_at', sa.String(length=40), nullable=False),
    sa.Column('vendor_total', sa.String(length=20), nullable=False),
    sa.Column('officer_pay_total', sa.String(length=20), nullable=False),
    sa.Column('bill', sa.Text(), nullable=False),
    sa.Column('story', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('request_id')
    )
    op.create_table('ledger',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=80), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('memo', sa.String(length=300), nullable=False),
    sa.Column('account', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_ledger_request', 'ledger', ['request_id'], unique=False)
    op.create_table('requests',
    sa.Column('request_id', sa.String(length=80), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=False),
    sa.Column('vendor', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('request_id')
    )
    op.create_table('timers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=True),
    sa.Column('request_id', sa.String(length=80), nullable=True),
    sa.Column('slot', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_timers_at', 'timers', ['at'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=True),
    sa.Column('badge', sa.String(length=40), nullable=True),
    sa.Column('vendor', sa.String(length=200), nullable=True),
    sa.Column('clients', sa.Text(), nullable=True),
    sa.Column('created_at', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('input_seq', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(length=40), nullable=False),
    sa.Column('delivered_at', sa.String(length=40), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['input_seq'], ['inputs.seq'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_outbox_pending', 'outbox', ['delivered_at'], unique=False)
    op.create_table('records',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('input_seq', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=80), nullable=True),
    sa.Column('request_id', sa.String(length=80), nullable=True),
    sa.Column('slot', sa.Integer(), nullable=True),
    sa.Column('badge', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['input_seq'], ['inputs.seq'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_records_request', 'records', ['request_id'], unique=False)


def downgrade() -> None:
    """Drop them all, children before parents."""
    op.drop_index('ix_records_request', table_name='records')
    op.drop_table('records')
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('users')
    op.drop_index('ix_timers_at', table_name='timers')
    op.drop_table('timers')
    op.drop_table('requests')
    op.drop_index('ix_ledger_request', table_name='ledger')
    op.drop_table('ledger')
    op.drop_table('invoices')
    op.drop_table('inputs')
    op.drop_table('clock')
    op.drop_table('bookings')
