"""Routes for staff: list and read cases (every read audited), and work them through the case service.

Each action loads the case the way a read does (so a team cannot act on a case it cannot see), calls one
case-service operation, and answers with the case as it now stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from feedback.api.auth import App, StaffActor
from feedback.api.schemas import (
    TEAM_PATTERN,
    AssignIn,
    CasePage,
    CloseIn,
    EscalateIn,
    ExtendIn,
    MessageIn,
    PanelIn,
    Problem,
    ProcedureIn,
    ReasonIn,
    ReviewIn,
)
from feedback.api.views import CaseDetail, case_detail, case_summary
from store.access import CaseFilter, list_cases, not_found, visible_case
from store.actors import Actor
from store.db import transaction
from store.directory import staff_id_by_email
from store.errors import InvalidRequest
from store.models import Case
from store.review import review_suggestion, waiting_for_review
from store.service import Closing
from store.workdays import london_date

router = APIRouter(
    prefix="/api",
    tags=["staff"],
    responses={401: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}},
)
Reference = Annotated[str, Path(max_length=40, description="The case reference, e.g. FB-7K3M-9QX4")]
Action = Callable[[Session, Case], None]
MAX_OFFSET = 2**31 - 1  # a larger OFFSET overflows the databases' integers


@router.get("/cases", response_model=CasePage)
def cases(
    app: App,
    actor: StaffActor,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    team: Annotated[str | None, Query(pattern=TEAM_PATTERN)] = None,
    needs_review: bool | None = None,
    low_confidence: bool | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> CasePage:
    """The cases you may see (the CRT sees all; a team its own), earliest due first."""
    wanted = CaseFilter(
        status=status,
        team_id=team,
        needs_review=needs_review,
        low_confidence=low_confidence,
        overdue_on=london_date(app.service.now()) if overdue else None,
        limit=limit,
        offset=offset,
    )
    with transaction(app.sessions) as session:
        page, total = list_cases(session, actor, wanted)
        return CasePage(total=total, cases=[case_summary(case) for case in page])


@router.get("/review-queue", response_model=CasePage)
def review_queue(
    app: App,
    actor: StaffActor,
    low_confidence: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> CasePage:
    """Cases whose suggestions the CRT has yet to review, oldest first (`low_confidence=true`: only those
    with a suggestion below its review threshold, which need reading rather than confirming)."""
    app.service.check_crt(actor, "see the review queue")
    with transaction(app.sessions) as session:
        page = waiting_for_review(session, low_confidence=low_confidence, limit=limit, offset=offset)
        return CasePage(total=len(page), cases=[case_summary(case) for case in page])


@router.get("/cases/{reference}", response_model=CaseDetail)
def case(reference: Reference, app: App, actor: StaffActor) -> CaseDetail:
    """One case in full: messages, deadlines, suggestions, assignments, extensions and closures."""
    return _act(app, actor, reference, None)


@router.post("/cases/{reference}/acknowledge", response_model=CaseDetail)
def acknowledge(reference: Reference, app: App, actor: StaffActor) -> CaseDetail:
    return _act(app, actor, reference, lambda s, c: app.service.acknowledge(s, c, actor))


@router.post("/cases/{reference}/assign", response_model=CaseDetail)
def assign(reference: Reference, body: AssignIn, app: App, actor: StaffActor) -> CaseDetail:
    def action(session: Session, case: Case) -> None:
        staff_id = _staff_id(session, body.staff_email) if body.staff_email else None
        app.service.assign(session, case, actor, team_id=body.team, staff_id=staff_id, reason=body.reason)

    return _act(app, actor, reference, action)


@router.post("/cases/{reference}/extend", response_model=CaseDetail)
def extend(reference: Reference, body: ExtendIn, app: App, actor: StaffActor) -> CaseDetail:
    def action(session: Session, case: Case) -> None:
        app.service.extend(session, case, actor, working_days=body.working_days, reason=body.reason)

    return _act(app, actor, reference, action)


@router.post("/cases/{reference}/close", response_model=CaseDetail)
def close(reference: Reference, body: CloseIn, app: App, actor: StaffActor) -> CaseDetail:
    closing = Closing(
        outcome=body.outcome,
        remedies=tuple(body.remedies),
        lessons_learned=body.lessons_learned,
        lesson_theme=body.lesson_theme,
        summary=body.summary,
    )

    def action(session: Session, case: Case) -> None:
        app.service.close(session, case, actor, closing)

    return _act(app, actor, reference, action)


@router.post("/cases/{reference}/reopen", response_model=CaseDetail)
def reopen(reference: Reference, body: ReasonIn, app: App, actor: StaffActor) -> CaseDetail:
    return _act(app, actor, reference, lambda s, c: app.service.reopen(s, c, actor, reason=body.reason))


@router.post("/cases/{reference}/escalate", response_model=CaseDetail)
def escalate(reference: Reference, body: EscalateIn, app: App, actor: StaffActor) -> CaseDetail:
    """Record the complainant's request for the next stage; the CRT takes it over."""

    def action(session: Session, case: Case) -> None:
        handler_id = _staff_id(session, body.handler_email) if body.handler_email else None
        app.service.escalate(
            session, case, actor, requested_on=body.requested_on, reason=body.reason, handler_id=handler_id
        )

    return _act(app, actor, reference, action)


@router.post("/cases/{reference}/procedure", response_model=CaseDetail)
def change_procedure(reference: Reference, body: ProcedureIn, app: App, actor: StaffActor) -> CaseDetail:
    def action(session: Session, case: Case) -> None:
        app.service.change_procedure(session, case, actor, procedure=body.procedure, reason=body.reason)

    return _act(app, actor, reference, action)


@router.post("/cases/{reference}/panel", response_model=CaseDetail)
def panel_held(reference: Reference, body: PanelIn, app: App, actor: StaffActor) -> CaseDetail:
    """Statutory stage 3: the review panel met on `on`."""
    return _act(app, actor, reference, lambda s, c: app.service.record_panel(s, c, actor, held_on=body.on))


@router.post("/cases/{reference}/panel-report", response_model=CaseDetail)
def panel_report(reference: Reference, body: PanelIn, app: App, actor: StaffActor) -> CaseDetail:
    """Statutory stage 3: the panel's report was received on `on`."""

    def action(session: Session, case: Case) -> None:
        app.service.record_panel_report(session, case, actor, received_on=body.on)

    return _act(app, actor, reference, action)


@router.post("/cases/{reference}/messages", response_model=CaseDetail)
def add_message(reference: Reference, body: MessageIn, app: App, actor: StaffActor) -> CaseDetail:
    """Record a call, letter or reply on the case."""

    def action(session: Session, case: Case) -> None:
        app.service.add_message(
            session,
            case,
            actor,
            direction=body.direction,
            channel=body.channel,
            body=body.body,
            subject=body.subject,
            author=actor.name if body.direction == "out" else None,
        )

    return _act(app, actor, reference, action)


@router.post("/cases/{reference}/suggestions/{head}/review", response_model=CaseDetail)
def review(
    reference: Reference,
    head: Annotated[str, Path(pattern="^(type|subject_category|service)$")],
    body: ReviewIn,
    app: App,
    actor: StaffActor,
) -> CaseDetail:
    """Accept the suggestion, or override it with `label`; the case takes the reviewed label."""

    def action(session: Session, case: Case) -> None:
        review_suggestion(app.service, session, case, actor, head=head, accept=body.accept, label=body.label)

    return _act(app, actor, reference, action)


def _act(app: App, actor: Actor, reference: str, action: Action | None) -> CaseDetail:
    with transaction(app.sessions) as session:
        case = visible_case(session, reference, actor)
        if case is not None:
            if action is not None:
                action(session, case)
                session.flush()
            return case_detail(session, case)
    # Outside the transaction, so the audit of the refused read is kept.
    raise not_found(reference)


def _staff_id(session: Session, email: str) -> int:
    staff_id = staff_id_by_email(session, email)
    if staff_id is None:
        raise InvalidRequest(f"no member of staff with email {email!r}")
    return staff_id
