"""Shared values and helpers for the CLI tests (plain functions; the fixtures are in conftest.py).

Imported as `cli_support` (pytest puts this directory on sys.path; the tests are not a package).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from click.testing import Result
from sqlalchemy import select

from store.actors import Actor
from store.models import Staff

REPO = Path(__file__).resolve().parents[2]
CRT = "alex.morgan@council.example"
ADMISSIONS = "lee.khan@council.example"
SENDAR = "robin.shaw@council.example"

Run = Callable[..., Result]


def write_config(directory: Path, **changes: Any) -> Path:
    """config.yml with its database in `directory`/var (a relative path: anchored beside the config)."""
    config = yaml.safe_load((REPO / "config.yml").read_text())
    config["database"]["url"] = "sqlite:///var/feedback.db"
    for section, values in changes.items():
        if isinstance(values, dict):
            config[section].update(values)
        else:
            config[section] = values
    path = directory / "config.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def staff_actor(session: Any, email: str) -> Actor:
    member = session.scalar(select(Staff).where(Staff.email == email))
    return Actor(name=member.email, staff_id=member.id, team_id=member.team_id, is_crt=member.team_id == "crt")


def assert_clear_failure(result: Result, *expected: str, exit_code: int = 1) -> None:
    """A refusal: the expected message on stderr, the exit status, and no traceback anywhere."""
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.stderr, result.stderr
