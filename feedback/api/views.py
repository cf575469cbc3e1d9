"""What staff see of a case: built from the rows inside the request's transaction."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.api.schemas import CaseSummary
from store.models import Assignment, Case, Closure, Extension, Message, Staff, Suggestion


class ContactOut(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class MessageOut(BaseModel):
    direction: str
    channel: str
    author: str | None
    subject: str | None
    body: str
    created_at: datetime
    has_raw_source: bool


class ClockOut(BaseModel):
    stage: int
    kind: str
    started_on: date
    due_on: date
    limit_on: date
    met_on: date | None
    stopped_on: date | None


class SuggestionOut(BaseModel):
    head: str
    label: str
    score: float
    model_version: str
    # Scored below its head's review threshold: read the case, do not just confirm.
    needs_review: bool
    review: str
    final_label: str | None
    reviewed_by: str | None


class AssignmentOut(BaseModel):
    stage: int
    team: str
    staff: str | None
    assigned_at: datetime
    assigned_by: str
    reason: str | None


class ExtensionOut(BaseModel):
    previous_due_on: date
    new_due_on: date
    reason: str
    extended_by: str
    extended_at: datetime


class ClosureOut(BaseModel):
    stage: int
    outcome: str | None
    remedies: list[str]
    lessons_learned: str | None
    lesson_theme: str | None
    summary: str | None
    closed_at: datetime
    closed_by: str


class CaseDetail(CaseSummary):
    channel: str
    subject_category: str | None
    complainant_role: str
    on_behalf_of_child: bool
    child_consents: bool | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    contact: ContactOut | None
    messages: list[MessageOut]
    clocks: list[ClockOut]
    suggestions: list[SuggestionOut]
    assignments: list[AssignmentOut]
    extensions: list[ExtensionOut]
    closures: list[ClosureOut]


def case_summary(case: Case) -> CaseSummary:
    return CaseSummary(**_summary_fields(case, case.assigned_staff.email if case.assigned_staff else None))


def case_detail(session: Session, case: Case) -> CaseDetail:
    staff_emails = {staff_id: email for staff_id, email in session.execute(select(Staff.id, Staff.email))}
    rows = _Rows(session, case)
    # By id, not through `case.assigned_staff`: an action in this transaction may have changed the id
    # without the (already loaded) relationship following it.
    assigned_to = staff_emails.get(case.assigned_staff_id) if case.assigned_staff_id else None
    return CaseDetail(
        **_summary_fields(case, assigned_to),
        channel=case.channel,
        subject_category=case.subject_category,
        complainant_role=case.complainant_role,
        on_behalf_of_child=case.on_behalf_of_child,
        child_consents=case.child_consents,
        acknowledged_at=case.acknowledged_at,
        closed_at=case.closed_at,
        contact=ContactOut(name=case.contact.name, email=case.contact.email, phone=case.contact.phone)
        if case.contact
        else None,
        messages=[
            MessageOut(
                direction=m.direction,
                channel=m.channel,
                author=m.author,
                subject=m.subject,
                body=m.body,
                created_at=m.created_at,
                has_raw_source=m.raw is not None,
            )
            for m in rows.messages
        ],
        clocks=[ClockOut.model_validate(clock, from_attributes=True) for clock in case.clocks],
        suggestions=[
            SuggestionOut(
                head=s.head,
                label=s.label,
                score=s.score,
                model_version=s.model_version,
                needs_review=s.needs_review,
                review=s.review,
                final_label=s.final_label,
                reviewed_by=staff_emails.get(s.reviewed_by_id) if s.reviewed_by_id else None,
            )
            for s in rows.suggestions
        ],
        assignments=[
            AssignmentOut(
                stage=a.stage,
                team=a.team_id,
                staff=staff_emails.get(a.staff_id) if a.staff_id else None,
                assigned_at=a.assigned_at,
                assigned_by=a.assigned_by,
                reason=a.reason,
            )
            for a in rows.assignments
        ],
        extensions=[ExtensionOut.model_validate(e, from_attributes=True) for e in rows.extensions],
        closures=[
            ClosureOut(
                stage=c.stage,
                outcome=c.outcome,
                remedies=[r.remedy for r in c.remedies],
                lessons_learned=c.lessons_learned,
                lesson_theme=c.lesson_theme,
                summary=c.summary,
                closed_at=c.closed_at,
                closed_by=c.closed_by,
            )
            for c in rows.closures
        ],
    )


class _Rows:
    def __init__(self, session: Session, case: Case) -> None:
        by_case = {"case_id": case.id}
        self.messages = session.scalars(select(Message).filter_by(**by_case).order_by(Message.id)).all()
        self.suggestions = session.scalars(select(Suggestion).filter_by(**by_case).order_by(Suggestion.id)).all()
        self.assignments = session.scalars(select(Assignment).filter_by(**by_case).order_by(Assignment.id)).all()
        self.closures = session.scalars(select(Closure).filter_by(**by_case).order_by(Closure.id)).all()
        clock_ids = [clock.id for clock in case.clocks]
        self.extensions = session.scalars(
            select(Extension).where(Extension.clock_id.in_(clock_ids)).order_by(Extension.id)
        ).all()


def _summary_fields(case: Case, assigned_to: str | None) -> dict[str, object]:
    return {
        "reference": case.reference,
        "type": case.type,
        "procedure": case.procedure,
        "stage": case.stage,
        "status": case.status,
        "team": case.owner_team_id,
        "assigned_to": assigned_to,
        "service": case.service,
        "urgent": case.urgent,
        "needs_review": case.needs_review,
        "low_confidence": case.low_confidence,
        "classified": case.classified_at is not None,
        "area_team": case.area_team_id,
        "received_at": case.received_at,
        "due_on": case.due_on,
    }
