"""ActivityPub: the actor's key pair, followers, followed actors, what they sent, the delivery queue

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "ap_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_key")),
    )
    op.create_table(
        "ap_follower",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", _text(500), nullable=False),
        sa.Column("inbox", _text(500), nullable=False),
        sa.Column("shared_inbox", _text(500), nullable=True),
        sa.Column("followed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_follower")),
        sa.UniqueConstraint("actor", name=op.f("uq_ap_follower_actor")),
    )
    op.create_table(
        "ap_following",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", _text(500), nullable=False),
        sa.Column("follow_id", _text(500), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("asked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_following")),
        sa.UniqueConstraint("actor", name=op.f("uq_ap_following_actor")),
    )
    op.create_table(
        "ap_received",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", _text(500), nullable=False),
        sa.Column("type", _text(32), nullable=False),
        sa.Column("object_id", _text(500), nullable=True),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_received")),
    )
    with op.batch_alter_table("ap_received") as batch:
        batch.create_index(batch.f("ix_ap_received_actor"), ["actor"], unique=False)
        batch.create_index(batch.f("ix_ap_received_received_at"), ["received_at"], unique=False)
    op.create_table(
        "ap_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox", _text(500), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", _text(300), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ap_delivery")),
    )
    with op.batch_alter_table("ap_delivery") as batch:
        batch.create_index(batch.f("ix_ap_delivery_due_at"), ["due_at"], unique=False)
    op.create_table(
        "ap_announced",
        sa.Column("iri", _text(500), nullable=False),
        sa.Column("object_id", _text(500), nullable=False),
        sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("iri", name=op.f("pk_ap_announced")),
    )


def downgrade() -> None:
    for table in ("ap_announced", "ap_delivery", "ap_received", "ap_following", "ap_follower", "ap_key"):
        op.drop_table(table)
