"""Schema migrations (alembic, shipped inside the package). What an upgrade does after them
(the job queue, the change feed's epoch, the thesauri) is composed in `hub.setup`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def include_name(name, type_, parent_names) -> bool:
    """What the models do not describe: procrastinate's tables (installed by `hub db upgrade`),
    and the full-text indexes of migration 0002, which SQLAlchemy cannot express."""
    if type_ == "table":
        return not name.startswith(("procrastinate_", "event_fts"))
    return not (type_ == "index" and name == "ix_event_fts")


def alembic_config(connection=None, schema: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def upgrade_schema(engine: Engine, schema: str | None = None) -> None:
    """Bring the database's tables to the head revision."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection, schema), "head")


def revision(engine: Engine, message: str, schema: str | None = None) -> None:
    """Autogenerate a new migration from the models (developers only)."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection, schema), message=message, autogenerate=True)


def head_revision() -> str:
    """The newest migration of this code."""
    return "+".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def at_head(engine: Engine) -> bool:
    """Whether the database is at the head revision of this code."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return "+".join(sorted(current)) == head_revision()


def schema_is_usable(engine: Engine) -> bool:
    """Ready to serve: at this code's head, or ahead of it (migrations are additive: during an
    upgrade, or after a rollback, the older processes keep serving on the newer schema)."""
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    return bool(current) and (current == set(script.get_heads()) or not current <= known)
