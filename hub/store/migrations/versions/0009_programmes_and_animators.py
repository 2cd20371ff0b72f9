"""Programmes (event series across places), the animators of places and of events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programme",
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
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_programme_source_id_source"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("iri", name=op.f("uq_programme_iri")),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_programme_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programme_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "personrole",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("place_iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("role_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("badges", sa.JSON(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_personrole_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personrole")),
        sa.UniqueConstraint("person_id", "place_iri", name=op.f("uq_personrole_person_id")),
    )
    with op.batch_alter_table("personrole", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personrole_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_personrole_place_iri"), ["place_iri"], unique=False)

    op.create_table(
        "eventanimator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("person_iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_eventanimator_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eventanimator")),
        sa.UniqueConstraint("event_id", "person_iri", name=op.f("uq_eventanimator_event_id")),
    )
    with op.batch_alter_table("eventanimator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eventanimator_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_eventanimator_person_iri"), ["person_iri"], unique=False)

    # Added in place, not through a copy of the table: on SQLite that would drop the triggers
    # keeping the event text index (0002).
    op.add_column(
        "event", sa.Column("programme_iri", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
    )
    op.create_index(op.f("ix_event_programme_iri"), "event", ["programme_iri"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_event_programme_iri"), table_name="event")
    op.drop_column("event", "programme_iri")

    with op.batch_alter_table("eventanimator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eventanimator_person_iri"))
        batch_op.drop_index(batch_op.f("ix_eventanimator_event_id"))

    op.drop_table("eventanimator")
    with op.batch_alter_table("personrole", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personrole_place_iri"))
        batch_op.drop_index(batch_op.f("ix_personrole_person_id"))

    op.drop_table("personrole")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_updated_at"))
        batch_op.drop_index(batch_op.f("ix_programme_source_id"))
        batch_op.drop_index(batch_op.f("ix_programme_name"))

    op.drop_table("programme")
