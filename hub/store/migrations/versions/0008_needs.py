"""Needs and offers, their skills and the put-in-touch requests they relay

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "need",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("harvested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("author_iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("author_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("place_iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("valid_through", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("matched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_need_source_id_source"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need")),
        sa.UniqueConstraint("iri", name=op.f("uq_need_iri")),
    )
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_audience"), ["audience"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_author_iri"), ["author_iri"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_place_iri"), ["place_iri"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_valid_through"), ["valid_through"], unique=False)

    op.create_table(
        "needrelay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.String(length=64), nullable=False),
        sa.Column("to_iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reply_to", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_needrelay_need_id_need"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needrelay")),
    )
    with op.batch_alter_table("needrelay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needrelay_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_needrelay_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_needrelay_to_iri"), ["to_iri"], unique=False)

    op.create_table(
        "needskill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.String(length=64), nullable=False),
        sa.Column("concept_iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_needskill_need_id_need"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needskill")),
        sa.UniqueConstraint("need_id", "label", name=op.f("uq_needskill_need_id")),
    )
    with op.batch_alter_table("needskill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needskill_concept_iri"), ["concept_iri"], unique=False)
        batch_op.create_index(batch_op.f("ix_needskill_need_id"), ["need_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("needskill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needskill_need_id"))
        batch_op.drop_index(batch_op.f("ix_needskill_concept_iri"))

    op.drop_table("needskill")
    with op.batch_alter_table("needrelay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needrelay_to_iri"))
        batch_op.drop_index(batch_op.f("ix_needrelay_need_id"))
        batch_op.drop_index(batch_op.f("ix_needrelay_created_at"))

    op.drop_table("needrelay")
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_valid_through"))
        batch_op.drop_index(batch_op.f("ix_need_updated_at"))
        batch_op.drop_index(batch_op.f("ix_need_state"))
        batch_op.drop_index(batch_op.f("ix_need_source_id"))
        batch_op.drop_index(batch_op.f("ix_need_region"))
        batch_op.drop_index(batch_op.f("ix_need_place_iri"))
        batch_op.drop_index(batch_op.f("ix_need_kind"))
        batch_op.drop_index(batch_op.f("ix_need_department"))
        batch_op.drop_index(batch_op.f("ix_need_author_iri"))
        batch_op.drop_index(batch_op.f("ix_need_audience"))

    op.drop_table("need")
