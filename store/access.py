"""Staff reads: who may see which case, and an audit event for every case a member of staff opens.

The CRT sees every case; a team sees the cases it owns. A case another team owns looks exactly like one
that does not exist, so references cannot be probed; the attempt is still audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from store import audit
from store.actors import Actor
from store.errors import CaseNotFound, NotAllowed
from store.models import Case
from store.references import normalise_reference


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    team_id: str | None = None
    needs_review: bool | None = None
    low_confidence: bool | None = None
    overdue_on: date | None = None
    limit: int = 50
    offset: int = 0


def find_case(session: Session, reference: str) -> Case | None:
    """The case with this reference, however it was typed; for channels and jobs, not for staff reads."""
    canonical = normalise_reference(reference)
    if canonical is None:
        return None
    return session.scalar(select(Case).where(Case.reference == canonical))


def visible_case(session: Session, reference: str, actor: Actor) -> Case | None:
    """The case, if this member of staff may see it, else None; the read or the refusal is audited.

    Returning None (rather than raising) lets the caller commit the audit of a refused read.
    """
    if not actor.is_staff:
        raise NotAllowed("only staff can read cases")
    case = find_case(session, reference)
    if case is None or not may_see(actor, case):
        audit.record(session, actor, "case.view_refused", case.id if case else None, reference=reference[:40])
        return None
    audit.record(session, actor, "case.viewed", case.id)
    return case


def case_for_staff(session: Session, reference: str, actor: Actor) -> Case:
    """As `visible_case`, raising CaseNotFound on a refusal (whose audit then rolls back with the caller)."""
    case = visible_case(session, reference, actor)
    if case is None:
        raise not_found(reference)
    return case


def not_found(reference: str) -> CaseNotFound:
    return CaseNotFound(f"no case {reference[:40]!r} that you can see")


def may_see(actor: Actor, case: Case) -> bool:
    return actor.is_crt or (actor.is_staff and actor.team_id == case.owner_team_id)


def list_cases(session: Session, actor: Actor, wanted: CaseFilter) -> tuple[list[Case], int]:
    """A page of the cases this member of staff may see, oldest due first, and how many match in all."""
    if not actor.is_staff:
        raise NotAllowed("only staff can list cases")
    conditions = _conditions(actor, wanted)
    total = session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    page = session.scalars(
        select(Case)
        .where(*conditions)
        .order_by(Case.due_on.is_(None), Case.due_on, Case.received_at, Case.id)
        .limit(wanted.limit)
        .offset(wanted.offset)
    ).unique()
    audit.record(session, actor, "cases.listed", None, filter=_describe(wanted), count=total)
    return list(page), total


def _conditions(actor: Actor, wanted: CaseFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not actor.is_crt:
        conditions.append(Case.owner_team_id == actor.team_id)
    if wanted.team_id:
        conditions.append(Case.owner_team_id == wanted.team_id)
    if wanted.status:
        conditions.append(Case.status == wanted.status)
    if wanted.needs_review is not None:
        conditions.append(Case.needs_review.is_(wanted.needs_review))
    if wanted.low_confidence is not None:
        conditions.append(Case.low_confidence.is_(wanted.low_confidence))
    if wanted.overdue_on is not None:
        conditions.extend([Case.status == "open", Case.due_on < wanted.overdue_on])
    return conditions


def _describe(wanted: CaseFilter) -> dict[str, str]:
    return {key: str(value) for key, value in vars(wanted).items() if value is not None}
