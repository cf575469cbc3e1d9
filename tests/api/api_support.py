"""Shared values and request bodies for the API tests (plain functions; the fixtures are in conftest.py).

Imported as `api_support` (pytest puts this directory on sys.path; the tests are not a package).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol


class ClockLike(Protocol):
    """The `clock` fixture of tests/conftest.py."""

    def __call__(self) -> datetime: ...
    def set(self, moment: datetime) -> None: ...
    def advance(self, **delta: float) -> None: ...


CHANNEL_TOKEN = "chat-assistant-channel-token-0123456789abcdef"

CRT_MANAGER = "alex.morgan@council.example"
CRT_OFFICER = "sam.patel@council.example"
CRT_OFFICER_2 = "jo.reid@council.example"
ADMISSIONS = "lee.khan@council.example"
ADMISSIONS_MANAGER = "pat.ellis@council.example"
INITIAL_RESPONSE = "chris.owen@council.example"
SENDAR = "robin.shaw@council.example"

CITIZEN_EMAIL = "jo.bloggs@example.org"

Headers = dict[str, str]
OpenCase = Callable[..., dict[str, Any]]
StaffHeaders = Callable[[str], Headers]


def case_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /api/cases body: a parent's complaint about school admissions, by web chat."""
    body: dict[str, Any] = {
        "channel": "web_chat",
        "text": "We were refused a place at our catchment school and nobody will explain the decision.",
        "type": "complaint",
        "service": "school_admissions",
        "complainant_role": "parent_carer",
        "contact": {"name": "Jo Bloggs", "email": CITIZEN_EMAIL},
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def statutory_body(**overrides: Any) -> dict[str, Any]:
    """A parent's complaint on behalf of their child about a children's team: the statutory procedure."""
    return case_body(
        text="My son's social worker has changed four times this year and nobody returns my calls.",
        service="childrens_team",
        on_behalf_of_child=True,
        child_knows_and_agrees=True,
        **overrides,
    )


def complete_closing(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "outcome": "partially_upheld",
        "remedies": ["apology", "explanation_provided"],
        "lessons_learned": "Explain admission decisions in writing within five days.",
        "lesson_theme": "communication",
    }
    body.update(overrides)
    return body
