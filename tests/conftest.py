"""Shared fixtures: every store test runs against SQLite and against the real PostgreSQL server.

PostgreSQL tests create and drop a database of their own. Outside CI an unreachable server skips them
with a reason; in CI (CI=true) it fails them, so a green CI run always means both stores were tested.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from classifiers.corpus import LabelledText, load_corpus, write_jsonl
from classifiers.paths import BuildPaths
from classifiers.split import split_examples
from feedback.application import Application
from feedback.settings import Settings, load_settings
from store.actors import Actor
from store.db import make_engine, transaction
from store.migrate import upgrade
from store.models import Base, Staff
from store.service import CaseService
from store.workdays import WorkingCalendar

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "FEEDBACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Clock:
    """A controllable `now`: tests move time instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def __call__(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    # A Monday morning in term time, well inside the calendar's known years.
    return Clock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return load_settings(REPO / "config.yml", environ={})


@pytest.fixture(scope="session")
def calendar(base_settings: Settings) -> WorkingCalendar:
    return WorkingCalendar(
        first_year=base_settings.calendar.first_year, last_year=base_settings.calendar.known_until_year
    )


def _postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"feedback_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        message = f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} is unreachable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'feedback.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    # DELETE, not TRUNCATE: on these small tables PostgreSQL's TRUNCATE costs ~100 ms a test, DELETE ~6 ms.
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def settings(base_settings: Settings, database_url: str) -> Settings:
    return base_settings.model_copy(
        update={"database": base_settings.database.model_copy(update={"url": database_url})}
    )


@pytest.fixture
def app(settings: Settings, migrated_engine: Engine, clock: Clock) -> Iterator[Application]:
    """The application on an empty, migrated database with the directory from config.yml loaded."""
    _empty(migrated_engine)
    application = Application.build(settings, now=clock, engine=migrated_engine)
    application.sync_directory()
    yield application


@pytest.fixture
def service(app: Application) -> CaseService:
    return app.service


@pytest.fixture
def staff(app: Application) -> Callable[[str], Actor]:
    """Factory: the Actor for a member of staff in config.yml, by email."""

    def make(email: str) -> Actor:
        with transaction(app.sessions) as session:
            member = session.scalar(select(Staff).where(Staff.email == email))
            assert member is not None, f"{email} is not in config.yml"
            return Actor(
                name=member.email,
                staff_id=member.id,
                team_id=member.team_id,
                is_crt=member.team_id == app.settings.crt_team,
            )

    return make


# --- a tiny trained build of the classifiers, made once per test session ----------------------------------
# Training the real models takes minutes; bow only, a few epochs and a small stratified sample prove the
# pipeline end to end in seconds, for the classifier tests and for the service tests that classify cases.

TINY_SIZES = {"train": 150, "dev": 40, "test": 30}
FAST_TRAINING = {"training.max_epochs": 3, "training.eval_frequency": 20, "training.patience": 100}


@pytest.fixture(scope="session")
def corpus() -> list[LabelledText]:
    return load_corpus()


@pytest.fixture(scope="session")
def write_tiny_splits(corpus: list[LabelledText]) -> Callable[[Path], BuildPaths]:
    """Factory: a build tree under `root` holding small slices of the real seeded split."""

    def make(root: Path) -> BuildPaths:
        paths = BuildPaths(root)
        splits = split_examples(corpus)
        for name, size in TINY_SIZES.items():
            write_jsonl(paths.split(name), splits[name][:size])
        return paths

    return make


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory: pytest.TempPathFactory, write_tiny_splits: Callable[[Path], BuildPaths]) -> BuildPaths:
    """Trained bow models for all three heads. The test split is written only after training, so training
    cannot have read it."""
    from classifiers.train import train_all

    paths = write_tiny_splits(tmp_path_factory.mktemp("build"))
    test_split = paths.split("test").read_bytes()
    paths.split("test").unlink()
    train_all(paths, archs=("bow",), overrides=FAST_TRAINING)
    paths.split("test").write_bytes(test_split)
    return paths

