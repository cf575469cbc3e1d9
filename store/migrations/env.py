"""Alembic environment: migrations run against the URL the caller put in the config (see store.migrate)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from store.db import make_engine
from store.models import Base, UTCDateTime

config = context.config


def _render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    # Migrations name plain column types, so they never break when a Python-side type moves or changes.
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _include_object(item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # APScheduler keeps its job store in this database and creates its own table: not ours to migrate.
    return not (type_ == "table" and reflected and compare_to is None and (name or "").startswith("apscheduler"))


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        run_migrations(fresh)
    engine.dispose()
