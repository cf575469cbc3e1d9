"""The migrations build exactly the schema the models describe, and can be walked down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from store.db import make_engine
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from store.models import Base


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_migrated_schema_matches_the_models(migrated_engine: Engine) -> None:
    assert current_revision(migrated_engine) == head_revision()
    assert _differences(migrated_engine) == []


def test_migrations_walk_down_to_nothing_and_up_again(tmp_path: object) -> None:
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path}/walk.db")
    upgrade(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert _differences(engine) == []
    engine.dispose()
