"""Occurrences are paged by start, event and recurrence: the identity that survives a roll

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_occurrence_start", table_name="occurrence")
    op.create_index("ix_occurrence_start", "occurrence", ["start_utc", "event_id", "recurrence_id"])


def downgrade() -> None:
    op.drop_index("ix_occurrence_start", table_name="occurrence")
    op.create_index("ix_occurrence_start", "occurrence", ["start_utc", "id"])
