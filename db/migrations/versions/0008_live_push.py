"""live push: PostgreSQL announces every change counter; a taken-over seat is remembered;
imported workshops' summaries are kept

On PostgreSQL a trigger on canvas_revision sends NOTIFY sc_canvas_changed with
'canvas_id:revision' on every committed write, whoever makes it (see
strategy_canvas/live/watch.py). SQLite has no notifications: its watcher reads
PRAGMA data_version instead, so nothing is created there.

workshop.taken_over_at and workshop.superseded_key_hash: when the holder of the canvas
takes over a running workshop's seat, the facilitator key changes; the screen of the
old key's holder is told (by the hash of the old key) instead of "not a seat".

workshop_record: the summary of a workshop that came in with a JSON import.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION sc_canvas_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('sc_canvas_changed', NEW.canvas_id::text || ':' || NEW.revision::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""
NOTIFY_TRIGGER = """
CREATE TRIGGER canvas_revision_changed
AFTER INSERT OR UPDATE ON canvas_revision
FOR EACH ROW EXECUTE FUNCTION sc_canvas_changed()
"""


def upgrade() -> None:
    op.create_table('workshop_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canvas_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['canvas_id'], ['canvas.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workshop_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_record_canvas_id'), ['canvas_id'], unique=False)
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_over_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('superseded_key_hash', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS canvas_revision_changed ON canvas_revision')
        op.execute('DROP FUNCTION IF EXISTS sc_canvas_changed()')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_column('superseded_key_hash')
        batch_op.drop_column('taken_over_at')
    with op.batch_alter_table('workshop_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_record_canvas_id'))
    op.drop_table('workshop_record')
