"""What a citizen may learn about their own case: with the reference and the email it was raised with.

A wrong email and an unknown reference get the same answer, and failed lookups are counted in the
database (so every API instance shares the count) per client and per reference: guessing is slow.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store import audit
from store.access import find_case
from store.actors import Actor
from store.contacts import normalise_email
from store.models import Case, StatusLookup
from store.references import normalise_reference
from store.workdays import london_date


@dataclass(frozen=True)
class CitizenStatus:
    reference: str
    type: str
    procedure: str
    stage: int
    status: str
    team: str
    received_on: date
    due_on: date | None


@dataclass(frozen=True)
class LookupLimit:
    attempts: int
    window: timedelta


class TooManyLookups(Exception):
    """Too many failed lookups recently from this client or for this reference."""


def citizen_status(
    session: Session, *, reference: str, email: str, client: str, limit: LookupLimit, now: datetime
) -> CitizenStatus | None:
    """The case's status if `email` is the one it was raised with; None otherwise, whichever part was wrong."""
    canonical = normalise_reference(reference)
    _check_limit(session, client=client[:64], reference=canonical, limit=limit, now=now)
    case = find_case(session, canonical) if canonical else None
    found = case is not None and _email_matches(case, email)
    session.add(StatusLookup(client=client[:64], reference=canonical, at=now, found=found))
    if case is None or not found:
        return None
    audit.record(session, Actor(name="citizen"), "case.status_viewed", case.id)
    return CitizenStatus(
        reference=case.reference,
        type=case.type,
        procedure=case.procedure,
        stage=case.stage,
        status=case.status,
        team=case.owner_team.name,
        received_on=london_date(case.received_at),
        due_on=case.due_on,
    )


def _email_matches(case: Case, email: str) -> bool:
    on_file = case.contact.email if case.contact else None
    if not on_file:
        return False  # an anonymous case has no one to tell
    return hmac.compare_digest(on_file.encode(), normalise_email(email).encode())


def _check_limit(session: Session, *, client: str, reference: str | None, limit: LookupLimit, now: datetime) -> None:
    since = now - limit.window
    failures = select(func.count(StatusLookup.id)).where(StatusLookup.found.is_(False), StatusLookup.at >= since)
    by_client = session.scalar(failures.where(StatusLookup.client == client)) or 0
    by_reference = session.scalar(failures.where(StatusLookup.reference == reference)) if reference else 0
    if by_client >= limit.attempts or (by_reference or 0) >= limit.attempts:
        raise TooManyLookups("too many unsuccessful lookups; try again later")
