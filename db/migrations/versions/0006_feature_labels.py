"""a feature's labels, as trackers keep them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14 09:00:00.000000

Features imported from Jira, Linear or Asana keep every label (tag) of the issue.
Existing features get no labels. The description's longer limit (32,767 characters,
Jira's) needs no migration: the column is TEXT on both databases.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labels', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('feature', schema=None) as batch_op:
        batch_op.drop_column('labels')
