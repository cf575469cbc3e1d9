"""Factories for the jobs' tests: open and move cases through the case service, run a job at a moment.

Time is the `clock` fixture: a test sets the moment a job runs at (`run(job, at=...)`), never sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from jobs_support import Sent
from sqlalchemy import select

from feedback.application import Application
from feedback.cli_jobs import job_runner
from jobs.context import JobContext
from store.access import find_case
from store.actors import Actor
from store.contacts import ContactDetails
from store.db import transaction
from store.models import OutboxMessage, Staff
from store.service import Closing, NewCase

PRESETS: dict[str, dict[str, Any]] = {
    "statutory": {
        "case_type": "complaint",
        "service": "childrens_initial_response",
        "complainant_role": "young_person",
    },
    "corporate": {"case_type": "complaint", "service": "school_admissions", "complainant_role": "parent_carer"},
    "question": {"case_type": "question", "service": "school_admissions", "complainant_role": "parent_carer"},
}
CLOSING = Closing(
    lessons_learned="Explain the decision in writing the first time.",
    lesson_theme="communication",
    outcome="partially_upheld",
    remedies=("explanation_provided",),
)


Job = Callable[[JobContext, Any, datetime], int]


@pytest.fixture
def ctx(app: Application) -> JobContext:
    return job_runner(app).ctx


@pytest.fixture
def run(app: Application, ctx: JobContext, clock: Any) -> Callable[..., int]:
    """Run a job as the scheduler would, at `at` (the clock stays there afterwards)."""

    def go(job: Job, at: datetime | None = None, context: JobContext | None = None) -> int:
        if at is not None:
            clock.set(at)
        with app.sessions() as session:
            done = job(context or ctx, session, clock())
            session.commit()
        return done

    return go


@pytest.fixture
def outbox(app: Application) -> Callable[[], list[Sent]]:
    def read() -> list[Sent]:
        with transaction(app.sessions) as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            return [Sent(row.kind, row.to_address, row.subject, row.dedupe_key, row.body_text) for row in rows]

    return read


@pytest.fixture
def crt(app: Application) -> Actor:
    return Actor(
        name="alex.morgan@council.example",
        staff_id=_staff_id(app, "alex.morgan@council.example"),
        team_id="crt",
        is_crt=True,
    )


@pytest.fixture
def new_case(app: Application, clock: Any, crt: Actor) -> Callable[..., str]:
    """Open a case received at `received` and hand it to `team` (and `officer`, an email); its reference."""

    def make(
        preset: str,
        received: datetime,
        *,
        team: str | None = None,
        officer: str | None = None,
        text: str = "Nobody has answered about my son's school place.",
        **overrides: Any,
    ) -> str:
        clock.set(received)
        with transaction(app.sessions) as session:
            case = app.service.open_case(
                session,
                NewCase(
                    channel="email",
                    text=text,
                    received_at=received,
                    contact=ContactDetails(name="Jo Bloggs", email="jo.bloggs@example.org"),
                    **{**PRESETS[preset], **overrides},
                ),
                Actor.channel("email"),
            )
            if team is not None:
                staff_id = session.scalar(select(Staff.id).where(Staff.email == officer)) if officer else None
                app.service.assign(session, case, crt, team_id=team, staff_id=staff_id, reason=None)
            return case.reference

    return make


@pytest.fixture
def act(app: Application, clock: Any, crt: Actor) -> Callable[..., None]:
    """Do something to a case as the CRT at `at`: act("close", ref, at) etc."""

    def do(action: str, reference: str, at: datetime, **options: Any) -> None:
        clock.set(at)
        with transaction(app.sessions) as session:
            case = find_case(session, reference)
            assert case is not None
            if action == "close":
                app.service.close(session, case, crt, options.get("closing", CLOSING))
            elif action == "acknowledge":
                app.service.acknowledge(session, case, crt)
            elif action == "escalate":
                app.service.escalate(
                    session,
                    case,
                    crt,
                    requested_on=options.get("requested_on", at.date()),
                    reason="The complainant is not satisfied with the response.",
                )
            elif action == "reopen":
                app.service.reopen(session, case, crt, reason="Closed by mistake before the reply went.")
            elif action == "extend":
                app.service.extend(
                    session, case, crt, working_days=options["days"], reason="Waiting for the school's records."
                )
            else:
                raise AssertionError(action)

    return do


def _staff_id(app: Application, email: str) -> int:
    with transaction(app.sessions) as session:
        found = session.scalar(select(Staff.id).where(Staff.email == email))
        assert found is not None, email
        return found


def day(text: str) -> date:
    return date.fromisoformat(text)
