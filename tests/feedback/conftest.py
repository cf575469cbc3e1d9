"""Fixtures for the CLI tests: a temporary config and SQLite database per test, and in-process runs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import CRT, Run, staff_actor, write_config
from click.testing import CliRunner, Result

from feedback.application import Application
from feedback.cli import main
from feedback.settings import load_settings
from store import migrate
from store.actors import Actor
from store.contacts import ContactDetails
from store.db import transaction
from store.service import NewCase


@pytest.fixture(autouse=True)
def no_feedback_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own FEEDBACK_* variables must not reach the commands under test."""
    for key in list(os.environ):
        if key.startswith("FEEDBACK_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database with the directory loaded, copied for each test (migrating is the slow part)."""
    directory = tmp_path_factory.mktemp("template")
    application = Application.build(load_settings(write_config(directory), environ={}))
    try:
        migrate.upgrade(application.engine)
        application.sync_directory()
    finally:
        application.close()  # SQLite folds the WAL back into the file on the last close
    return directory / "var" / "feedback.db"


@pytest.fixture
def config_path(tmp_path: Path, migrated_template: Path) -> Path:
    (tmp_path / "var").mkdir()
    shutil.copy(migrated_template, tmp_path / "var" / "feedback.db")
    return write_config(tmp_path)


@pytest.fixture
def fresh_config(tmp_path: Path) -> Path:
    """A config whose database does not exist yet."""
    directory = tmp_path / "fresh"
    directory.mkdir()
    return write_config(directory)


@pytest.fixture
def run(config_path: Path) -> Run:
    """Factory: run `feedback --config <the temp config> ARGS…`; the result keeps stdout and stderr apart."""

    def invoke(*args: str, config: Path | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, ["--config", str(config or config_path), *args], env=env)

    return invoke


@pytest.fixture
def application(config_path: Path) -> Iterator[Application]:
    """The application on the same database, for arranging cases and reading the audit trail."""
    application = Application.build(load_settings(config_path, environ={}))
    yield application
    application.close()


@pytest.fixture
def open_case(application: Application) -> Callable[..., str]:
    """Factory: open a complaint (the CRT owns it), optionally handing it to a team; returns the reference."""

    def make(team: str | None = None, **fields: Any) -> str:
        new = NewCase(
            **{
                "channel": "email",
                "text": "We were refused a place at our catchment school and nobody will explain why.",
                "case_type": "complaint",
                "service": "school_admissions",
                "complainant_role": "parent_carer",
                "contact": ContactDetails(name="Jo Bloggs", email="jo.bloggs@example.org"),
                **fields,
            }
        )
        with transaction(application.sessions) as session:
            case = application.service.open_case(session, new, Actor.channel("email"))
            if team is not None:
                crt = staff_actor(session, CRT)
                application.service.assign(session, case, crt, team_id=team, staff_id=None, reason=None)
            return case.reference

    return make
