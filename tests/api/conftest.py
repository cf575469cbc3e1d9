"""Factories for the HTTP API tests: an app with a channel token, staff tokens, and cases opened through the API.

Every request goes through `fastapi.testclient.TestClient` against the same database as the `app` fixture
(SQLite and PostgreSQL), so what a test asserts is what a channel or a member of staff would get over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from api_support import CHANNEL_TOKEN, CRT_MANAGER, ClockLike, Headers, OpenCase, case_body
from fastapi.testclient import TestClient
from sqlalchemy import select

from feedback.api.app import create_app
from feedback.application import Application
from store.access import find_case
from store.actors import Actor
from store.db import transaction
from store.directory import issue_token
from store.models import AuditEvent, Case
from store.review import Suggested, record_suggestions
from store.workdays import WorkingCalendar


@pytest.fixture
def build_app(app: Application, clock: ClockLike) -> Callable[..., Application]:
    """Factory: an Application on the test database with changed web settings (channel tokens, limits)."""

    def build(**web: Any) -> Application:
        web_settings = app.settings.web.model_copy(update={"channel_tokens": (CHANNEL_TOKEN,), **web})
        settings = app.settings.model_copy(update={"web": web_settings})
        return Application.build(settings, now=clock, engine=app.engine)

    return build


@pytest.fixture
def api_app(build_app: Callable[..., Application]) -> Application:
    return build_app()


@pytest.fixture
def client(api_app: Application) -> Iterator[TestClient]:
    with TestClient(create_app(api_app)) as test_client:
        yield test_client


@pytest.fixture
def channel() -> Headers:
    return {"Authorization": f"Bearer {CHANNEL_TOKEN}"}


@pytest.fixture
def token_for(app: Application) -> Callable[[str], str]:
    """Factory: an API token for a member of staff (one per email per test: a new token revokes the old)."""
    issued: dict[str, str] = {}

    def issue(email: str) -> str:
        if email not in issued:
            with transaction(app.sessions) as session:
                issued[email] = issue_token(session, email, Actor.system("test"))
        return issued[email]

    return issue


@pytest.fixture
def as_staff(token_for: Callable[[str], str]) -> Callable[[str], Headers]:
    """Factory: the Authorization header of a member of staff, by email."""

    def headers(email: str) -> Headers:
        return {"Authorization": f"Bearer {token_for(email)}"}

    return headers


@pytest.fixture
def open_case(client: TestClient, channel: Headers) -> OpenCase:
    """Factory: open a case through the API (as the chat channel unless `headers` is given); returns the 201 body."""

    def make(*, headers: Headers | None = None, **overrides: Any) -> dict[str, Any]:
        response = client.post("/api/cases", json=case_body(**overrides), headers=headers or channel)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


@pytest.fixture
def give_to_team(client: TestClient, as_staff: Callable[[str], Headers]) -> Callable[[str, str], None]:
    """Factory: the CRT assigns a case to a team (cases arrive owned by the CRT)."""

    def give(reference: str, team: str) -> None:
        response = client.post(
            f"/api/cases/{reference}/assign",
            json={"team": team, "reason": "routed by the CRT after triage"},
            headers=as_staff(CRT_MANAGER),
        )
        assert response.status_code == 200, response.text
        assert response.json()["team"] == team

    return give


@pytest.fixture
def admissions_case(open_case: OpenCase, give_to_team: Callable[[str, str], None]) -> str:
    """A corporate complaint, opened by the chat channel and handed by the CRT to School Admissions."""
    reference: str = open_case()["reference"]
    give_to_team(reference, "school_admissions")
    return reference


@pytest.fixture
def audit_actions(app: Application) -> Callable[..., list[tuple[str, str]]]:
    """Factory: (actor, action) of committed audit events, read in a fresh transaction, oldest first.

    With a reference, only the events about that case; with `case_less=True`, only those about no case.
    """

    def read(reference: str | None = None, *, case_less: bool = False) -> list[tuple[str, str]]:
        with transaction(app.sessions) as session:
            query = select(AuditEvent).order_by(AuditEvent.id)
            if reference is not None:
                query = query.join(Case, AuditEvent.case_id == Case.id).where(Case.reference == reference)
            elif case_less:
                query = query.where(AuditEvent.case_id.is_(None))
            return [(event.actor, event.action) for event in session.scalars(query)]

    return read


@pytest.fixture
def stored_case(app: Application) -> Callable[[str], Case]:
    """Factory: the committed case row (detached), read in a fresh transaction."""

    def read(reference: str) -> Case:
        with transaction(app.sessions) as session:
            case = find_case(session, reference)
            assert case is not None, reference
            return case

    return read


@pytest.fixture
def working_days(calendar: WorkingCalendar) -> Callable[[date, int], date]:
    """The date `days` working days after `start` (weekends and England bank holidays excluded)."""

    def add(start: date, days: int) -> date:
        return calendar.add_working_days(start, days)

    return add


@pytest.fixture
def suggest(app: Application) -> Callable[..., None]:
    """Factory: record a classifier's suggestions for a case, e.g. `suggest(ref, service=("sendar", 0.8))`."""

    def record(reference: str, **labels: tuple[str, float]) -> None:
        with transaction(app.sessions) as session:
            case = find_case(session, reference)
            assert case is not None, reference
            suggestions = [Suggested(head=head, label=label, score=score) for head, (label, score) in labels.items()]
            record_suggestions(session, case, Actor.system("classifier"), suggestions, model_version="test-model-1")

    return record
