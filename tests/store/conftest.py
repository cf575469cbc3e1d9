"""Factories for the store tests: open a case, work on it in one transaction, read its clocks and trail.

Each helper opens its own transaction, as the API does for every request, so a test sees exactly what
was committed (and a refused operation, rolled back, leaves nothing behind).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.application import Application
from store.access import find_case
from store.actors import Actor
from store.contacts import ContactDetails
from store.db import transaction
from store.models import AuditEvent, Case, Clock
from store.service import CaseService, Closing, NewCase

# What each kind of case is made of; a test overrides only what it is about.
PRESETS: dict[str, dict[str, Any]] = {
    # A young person complaining about children's social care: the statutory procedure.
    "statutory": {
        "case_type": "complaint",
        "service": "childrens_initial_response",
        "complainant_role": "young_person",
        "text": "My social worker keeps cancelling our visits and nobody tells me why.",
    },
    # A parent complaining about school admissions: the corporate procedure.
    "corporate": {
        "case_type": "complaint",
        "service": "school_admissions",
        "complainant_role": "parent_carer",
        "text": "We were refused a place at our catchment school and nobody will explain the decision.",
    },
    "question": {
        "case_type": "question",
        "service": "school_admissions",
        "complainant_role": "parent_carer",
        "text": "When will in-year transfer offers be sent out?",
    },
    "untyped": {"case_type": None, "text": "I want someone to look at what happened with my daughter's plan."},
}


@dataclass(frozen=True)
class ClockView:
    stage: int
    kind: str
    started_on: date
    due_on: date
    limit_on: date
    met_on: date | None
    stopped_on: date | None

    @property
    def running(self) -> bool:
        return self.met_on is None and self.stopped_on is None


OpenCase = Callable[..., str]
WorkOn = Callable[[str], AbstractContextManager[tuple[Session, Case]]]


@pytest.fixture
def set_today(clock: Any) -> Callable[[date], None]:
    """Factory: move the service's clock to 10:00 UTC on a day (that same day in London, summer or winter)."""

    def move(day: date) -> None:
        clock.set(datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC))

    return move


@pytest.fixture
def crt(staff: Callable[[str], Actor]) -> Actor:
    return staff("alex.morgan@council.example")


@pytest.fixture
def admissions(staff: Callable[[str], Actor]) -> Actor:
    return staff("lee.khan@council.example")


@pytest.fixture
def open_case(app: Application, service: CaseService) -> OpenCase:
    """Factory: open a case of a preset kind (statutory, corporate, question, untyped); returns its reference."""

    def make(kind: str = "statutory", *, actor: Actor | None = None, **overrides: Any) -> str:
        fields: dict[str, Any] = {
            "channel": "email",
            "contact": ContactDetails(name="Jo Bloggs", email="jo.bloggs@example.org"),
            **PRESETS[kind],
            **overrides,
        }
        with transaction(app.sessions) as session:
            case = service.open_case(session, NewCase(**fields), actor or Actor.channel(fields["channel"]))
            return case.reference

    return make


@pytest.fixture
def work_on(app: Application) -> WorkOn:
    """Factory: `with work_on(reference) as (session, case):` one unit of work on the case."""

    @contextmanager
    def enter(reference: str) -> Iterator[tuple[Session, Case]]:
        with transaction(app.sessions) as session:
            case = find_case(session, reference)
            assert case is not None, reference
            yield session, case

    return enter


@pytest.fixture
def clocks_of(app: Application) -> Callable[[str], list[ClockView]]:
    """Factory: every clock the case has had, oldest first, as committed."""

    def read(reference: str) -> list[ClockView]:
        with transaction(app.sessions) as session:
            rows = session.scalars(
                select(Clock).join(Case, Clock.case_id == Case.id).where(Case.reference == reference).order_by(Clock.id)
            )
            return [
                ClockView(row.stage, row.kind, row.started_on, row.due_on, row.limit_on, row.met_on, row.stopped_on)
                for row in rows
            ]

    return read


@pytest.fixture
def running_clocks(clocks_of: Callable[[str], list[ClockView]]) -> Callable[[str], dict[str, ClockView]]:
    """Factory: the case's running clocks by kind."""

    def read(reference: str) -> dict[str, ClockView]:
        running = [clock for clock in clocks_of(reference) if clock.running]
        by_kind = {clock.kind: clock for clock in running}
        assert len(by_kind) == len(running), f"two running clocks of one kind: {running}"
        return by_kind

    return read


@pytest.fixture
def audit_of(app: Application) -> Callable[[str | None], list[AuditEvent]]:
    """Factory: the audit events about a case (or with no case, for None), oldest first."""

    def read(reference: str | None) -> list[AuditEvent]:
        with transaction(app.sessions) as session:
            query = select(AuditEvent).order_by(AuditEvent.id)
            if reference is None:
                query = query.where(AuditEvent.case_id.is_(None))
            else:
                query = query.join(Case, AuditEvent.case_id == Case.id).where(Case.reference == reference)
            return list(session.scalars(query))

    return read


@pytest.fixture
def closing() -> Callable[..., Closing]:
    """Factory: a complete complaint closure; override fields to make it incomplete or fit another type."""

    def make(**overrides: Any) -> Closing:
        fields: dict[str, Any] = {
            "lessons_learned": "Tell families when a visit is cancelled, and why.",
            "lesson_theme": "communication",
            "outcome": "partially_upheld",
            "remedies": ("apology", "explanation_provided"),
        }
        fields.update(overrides)
        return Closing(**fields)

    return make
