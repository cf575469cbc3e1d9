"""Classifier suggestions and the CRT's review of them.

A suggestion changes nothing on its own: the CRT accepts it, or overrides it with another label, and only
then does the case take the label (a new type or service may bring a new procedure, owner and deadline).
Overrides are kept with who made them, so the next training can learn from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import audit
from store.actors import Actor
from store.errors import Conflict, InvalidRequest
from store.labels import AREA_ROUTED_SERVICE, HEADS
from store.models import Assignment, Case, Suggestion
from store.service import CaseService

MAX_MODEL_VERSION_CHARS = 80


@dataclass(frozen=True)
class Suggested:
    head: str
    label: str
    score: float
    # Below the head's review threshold: the case is marked low-confidence so the CRT reads it.
    needs_review: bool = False


def record_suggestions(
    session: Session, case: Case, actor: Actor, suggestions: Sequence[Suggested], *, model_version: str
) -> list[Suggestion]:
    """Store a model's suggestions for a case; earlier pending ones for the same heads are superseded."""
    if not model_version.strip() or len(model_version) > MAX_MODEL_VERSION_CHARS:
        raise InvalidRequest(f"model_version needs 1 to {MAX_MODEL_VERSION_CHARS} characters")
    for suggested in suggestions:
        _check_label(suggested.head, suggested.label)
        if not 0.0 <= suggested.score <= 1.0:
            raise InvalidRequest(f"score for {suggested.head} must be between 0 and 1")
    heads = {suggested.head for suggested in suggestions}
    if len(heads) != len(suggestions):
        raise InvalidRequest("one suggestion per head")
    for earlier in _pending(session, case, heads):
        earlier.review = "superseded"
    rows = [
        Suggestion(
            case_id=case.id,
            head=suggested.head,
            label=suggested.label,
            score=suggested.score,
            model_version=model_version,
            needs_review=suggested.needs_review,
        )
        for suggested in suggestions
    ]
    session.add_all(rows)
    case.needs_review = True
    case.low_confidence = _any_low_confidence(session, case)
    audit.record(session, actor, "suggestions.recorded", case.id, model_version=model_version, heads=sorted(heads))
    return rows


def review_suggestion(
    service: CaseService,
    session: Session,
    case: Case,
    actor: Actor,
    *,
    head: str,
    accept: bool,
    label: str | None = None,
) -> Suggestion:
    """Accept the pending suggestion for `head`, or override it with `label`; the case takes the result."""
    service.check_crt(actor, "review suggestions")
    if head not in HEADS:
        raise InvalidRequest(f"head must be one of {', '.join(HEADS)}")
    pending = _pending(session, case, {head})
    if not pending:
        raise Conflict(f"there is no {head} suggestion waiting for review on this case")
    suggestion = pending[-1]
    if accept:
        if label is not None and label != suggestion.label:
            raise InvalidRequest("to choose a different label, override the suggestion instead of accepting it")
        final = suggestion.label
    else:
        if label is None:
            raise InvalidRequest("an override needs the label to use instead")
        _check_label(head, label)
        final = label
    suggestion.review = "accepted" if accept else "overridden"
    suggestion.final_label = final
    suggestion.reviewed_by_id = actor.staff_id
    suggestion.reviewed_at = service.now()
    apply_label(service, session, case, actor, head=head, label=final)
    case.needs_review = bool(_pending(session, case, set(HEADS)))
    case.low_confidence = _any_low_confidence(session, case)
    audit.record(session, actor, f"suggestion.{suggestion.review}", case.id, head=head, label=final)
    return suggestion


def apply_label(service: CaseService, session: Session, case: Case, actor: Actor, *, head: str, label: str) -> None:
    """Give the case a reviewed label: the type may change the procedure, the service the owning team."""
    _check_label(head, label)
    if head == "subject_category":
        case.subject_category = label
        return
    if head == "type":
        if case.stage > 1 and label != "complaint":
            raise Conflict("a complaint past stage 1 stays a complaint")
        case.type = label
    else:
        case.service = label
        _route_to_service_team(service, session, case, actor, label)
    service.redecide_procedure(session, case)


def waiting_for_review(
    session: Session, *, low_confidence: bool | None = None, limit: int = 100, offset: int = 0
) -> list[Case]:
    """Cases the CRT has not finished reviewing, oldest first: the CRT's queue (optionally only those whose
    suggestions scored below the review threshold, or only those that did not)."""
    query = select(Case).where(Case.needs_review.is_(True))
    if low_confidence is not None:
        query = query.where(Case.low_confidence.is_(low_confidence))
    return list(
        session.scalars(
            query.order_by(Case.received_at, Case.id)
            .limit(limit)
            .offset(offset)
        ).unique()
    )


def _route_to_service_team(service: CaseService, session: Session, case: Case, actor: Actor, label: str) -> None:
    # Stage 1 cases go to the service's team; stage 2 and 3 stay with the CRT whatever the service. The
    # area Children's Teams share one label: the area the case text names decides (none: the CRT routes it).
    if label == AREA_ROUTED_SERVICE and case.area_team_id is not None:
        team = case.area_team_id
    else:
        team = service.team_for_service(label)
    if case.stage > 1 or team == case.owner_team_id:
        return
    case.owner_team_id = team
    case.assigned_staff = None
    session.add(
        Assignment(case_id=case.id, stage=case.stage, team_id=team, assigned_by=actor.name, reason="service reviewed")
    )


def _pending(session: Session, case: Case, heads: set[str]) -> list[Suggestion]:
    return list(
        session.scalars(
            select(Suggestion)
            .where(Suggestion.case_id == case.id, Suggestion.head.in_(heads), Suggestion.review == "pending")
            .order_by(Suggestion.id)
        )
    )


def _any_low_confidence(session: Session, case: Case) -> bool:
    session.flush()
    return any(suggestion.needs_review for suggestion in _pending(session, case, set(HEADS)))


def _check_label(head: str, label: str) -> None:
    labels = HEADS.get(head)
    if labels is None:
        raise InvalidRequest(f"head must be one of {', '.join(HEADS)}")
    if label not in labels:
        raise InvalidRequest(f"{label!r} is not a {head} label; see shared/design/labels.md")


@dataclass(frozen=True)
class Correction:
    """A case the CRT corrected: its final label for every head, and which heads it overrode."""

    case: Case
    labels: dict[str, str]
    overridden: tuple[str, ...]


def corrections(session: Session) -> list[Correction]:
    """Cases with at least one overridden suggestion and a reviewed label for every head, oldest first.

    These are what the next training should learn from: the model was wrong and a person said what is right.
    A case whose other heads are still pending is left until the CRT finishes it.
    """
    reviewed = session.scalars(
        select(Suggestion)
        .where(Suggestion.review.in_(("accepted", "overridden")), Suggestion.final_label.is_not(None))
        .order_by(Suggestion.case_id, Suggestion.id)
    ).all()
    by_case: dict[int, dict[str, Suggestion]] = {}
    for suggestion in reviewed:
        by_case.setdefault(suggestion.case_id, {})[suggestion.head] = suggestion  # the latest review wins
    found: list[Correction] = []
    for case_id, heads in by_case.items():
        overridden = tuple(head for head in HEADS if head in heads and heads[head].review == "overridden")
        if set(heads) != set(HEADS) or not overridden:
            continue
        case = session.get(Case, case_id)
        if case is not None:
            labels = {head: str(heads[head].final_label) for head in HEADS}
            found.append(Correction(case=case, labels=labels, overridden=overridden))
    return found
