"""The duplicate search reads events by title and start together

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_event_title_start", "event", ["title_key", "start_utc"])
    op.drop_index("ix_event_title_key", table_name="event")


def downgrade() -> None:
    op.create_index("ix_event_title_key", "event", ["title_key"])
    op.drop_index("ix_event_title_start", table_name="event")
