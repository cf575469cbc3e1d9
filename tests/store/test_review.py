"""Classifier suggestions and the CRT's review: nothing changes until the CRT accepts or overrides."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.application import Application
from store.actors import Actor
from store.db import transaction
from store.errors import Conflict, InvalidRequest, NotAllowed
from store.models import Assignment, Case, Staff, Suggestion
from store.review import Suggested, record_suggestions, review_suggestion, waiting_for_review
from store.service import CaseService

OpenCase = Callable[..., str]
WorkOn = Callable[[str], AbstractContextManager[tuple[Session, Case]]]
Audit = Callable[[str | None], list[Any]]

MODEL = "feedback-classifiers 2026.03.1"
CLASSIFIER = Actor.system("classifier")


@pytest.fixture
def suggest(work_on: WorkOn) -> Callable[..., None]:
    """Factory: record a model's suggestions for a case, as the intake worker does."""

    def record(reference: str, *suggestions: Suggested, model_version: str = MODEL) -> None:
        with work_on(reference) as (session, case):
            record_suggestions(session, case, CLASSIFIER, suggestions, model_version=model_version)

    return record


@pytest.fixture
def review(service: CaseService, work_on: WorkOn, crt: Actor) -> Callable[..., None]:
    """Factory: the CRT (or `actor`) accepts the pending suggestion for a head, or overrides it with `label`."""

    def decide(reference: str, head: str, *, label: str | None = None, actor: Actor | None = None) -> None:
        with work_on(reference) as (session, case):
            review_suggestion(service, session, case, actor or crt, head=head, accept=label is None, label=label)

    return decide


def suggestions(app: Application, reference: str) -> list[tuple[str, str, str, str | None]]:
    with transaction(app.sessions) as session:
        rows = session.scalars(
            select(Suggestion)
            .join(Case, Suggestion.case_id == Case.id)
            .where(Case.reference == reference)
            .order_by(Suggestion.id)
        )
        return [(row.head, row.label, row.review, row.final_label) for row in rows]


# --- recording suggestions ---------------------------------------------------------------------------------


def test_suggestions_are_stored_pending_and_change_nothing_yet(
    app: Application, open_case: OpenCase, work_on: WorkOn, suggest: Callable[..., None], audit_of: Audit
) -> None:
    reference = open_case("untyped")
    suggest(
        reference,
        Suggested("type", "question", 0.91),
        Suggested("subject_category", "communication", 0.55),
        Suggested("service", "sendar", 0.7),
    )

    assert suggestions(app, reference) == [
        ("type", "question", "pending", None),
        ("subject_category", "communication", "pending", None),
        ("service", "sendar", "pending", None),
    ]
    with work_on(reference) as (session, case):
        assert (case.type, case.service, case.subject_category) == ("complaint", None, None)
        assert (case.owner_team_id, case.needs_review) == ("crt", True)
        versions = set(session.scalars(select(Suggestion.model_version)))
        assert versions == {MODEL}
    recorded = audit_of(reference)[-1]
    assert (recorded.action, recorded.actor) == ("suggestions.recorded", "system:classifier")
    assert recorded.detail == {"model_version": MODEL, "heads": ["service", "subject_category", "type"]}


@pytest.mark.parametrize(
    ("suggested", "model_version", "words"),
    [
        ([Suggested("mood", "angry", 0.5)], MODEL, "head must be one of"),
        ([Suggested("type", "grumble", 0.5)], MODEL, "'grumble' is not a type label"),
        ([Suggested("service", "question", 0.5)], MODEL, "'question' is not a service label"),
        ([Suggested("subject_category", "parking", 0.5)], MODEL, "not a subject_category label"),
        ([Suggested("type", "question", 1.01)], MODEL, "between 0 and 1"),
        ([Suggested("type", "question", -0.01)], MODEL, "between 0 and 1"),
        ([Suggested("type", "question", math.nan)], MODEL, "between 0 and 1"),
        ([Suggested("type", "question", 0.9), Suggested("type", "comment", 0.1)], MODEL, "one suggestion per head"),
        ([Suggested("type", "question", 0.9)], "", "model_version"),
        ([Suggested("type", "question", 0.9)], "   ", "model_version"),
        ([Suggested("type", "question", 0.9)], "v" * 81, "model_version"),
    ],
)
def test_bad_suggestions_are_refused_whole(
    app: Application,
    open_case: OpenCase,
    suggest: Callable[..., None],
    suggested: Sequence[Suggested],
    model_version: str,
    words: str,
) -> None:
    reference = open_case("untyped")
    with pytest.raises(InvalidRequest, match=words):
        suggest(reference, *suggested, model_version=model_version)
    assert suggestions(app, reference) == []


def test_scores_at_the_bounds_are_accepted(app: Application, open_case: OpenCase, suggest: Callable[..., None]) -> None:
    reference = open_case("untyped")
    suggest(reference, Suggested("type", "question", 0.0), Suggested("service", "sendar", 1.0))
    assert len(suggestions(app, reference)) == 2


def test_a_newer_model_supersedes_pending_suggestions_for_the_same_heads(
    app: Application, open_case: OpenCase, suggest: Callable[..., None]
) -> None:
    reference = open_case("untyped")
    suggest(reference, Suggested("type", "question", 0.6), Suggested("service", "sendar", 0.6))
    suggest(reference, Suggested("type", "comment", 0.8), model_version="feedback-classifiers 2026.04.1")

    assert suggestions(app, reference) == [
        ("type", "question", "superseded", None),
        ("service", "sendar", "pending", None),
        ("type", "comment", "pending", None),
    ]


# --- reviewing ---------------------------------------------------------------------------------------------


def test_only_the_crt_reviews(
    open_case: OpenCase, suggest: Callable[..., None], review: Callable[..., None], admissions: Actor
) -> None:
    reference = open_case("untyped")
    suggest(reference, Suggested("type", "question", 0.9))
    with pytest.raises(NotAllowed, match="only the Customer Relations Team can review suggestions"):
        review(reference, "type", actor=admissions)
    with pytest.raises(NotAllowed):
        review(reference, "type", actor=Actor.channel("web_chat"))


def test_review_refuses_what_it_cannot_do(
    service: CaseService, open_case: OpenCase, work_on: WorkOn, suggest: Callable[..., None], crt: Actor
) -> None:
    reference = open_case("untyped")
    suggest(reference, Suggested("type", "question", 0.9))

    def attempt(**kwargs: Any) -> None:
        with work_on(reference) as (session, case):
            review_suggestion(service, session, case, crt, **kwargs)

    with pytest.raises(InvalidRequest, match="head must be one of"):
        attempt(head="mood", accept=True)
    with pytest.raises(Conflict, match="no service suggestion waiting"):
        attempt(head="service", accept=True)
    with pytest.raises(InvalidRequest, match="override the suggestion instead"):
        attempt(head="type", accept=True, label="comment")
    with pytest.raises(InvalidRequest, match="an override needs the label"):
        attempt(head="type", accept=False)
    with pytest.raises(InvalidRequest, match="'grumble' is not a type label"):
        attempt(head="type", accept=False, label="grumble")

    attempt(head="type", accept=True, label="question")  # naming the suggested label is still accepting
    with pytest.raises(Conflict, match="no type suggestion waiting"):
        attempt(head="type", accept=True)


def test_accepting_a_service_routes_a_stage1_case_to_its_team(
    app: Application,
    open_case: OpenCase,
    work_on: WorkOn,
    suggest: Callable[..., None],
    review: Callable[..., None],
    audit_of: Audit,
) -> None:
    reference = open_case("untyped", complainant_role="parent_carer")
    suggest(reference, Suggested("service", "school_admissions", 0.88))

    review(reference, "service")

    with work_on(reference) as (session, case):
        assert (case.service, case.owner_team_id, case.assigned_staff_id) == (
            "school_admissions",
            "school_admissions",
            None,
        )
        assert case.procedure == "corporate"
        routed = session.scalars(select(Assignment).order_by(Assignment.id.desc())).first()
        assert routed is not None
        assert (routed.stage, routed.team_id, routed.reason) == (1, "school_admissions", "service reviewed")
    assert suggestions(app, reference) == [("service", "school_admissions", "accepted", "school_admissions")]
    accepted = audit_of(reference)[-1]
    assert (accepted.action, accepted.detail) == (
        "suggestion.accepted",
        {"head": "service", "label": "school_admissions"},
    )


def test_accepting_a_childrens_social_care_service_for_a_young_person_makes_it_statutory(
    open_case: OpenCase, work_on: WorkOn, suggest: Callable[..., None], review: Callable[..., None]
) -> None:
    reference = open_case("untyped", complainant_role="young_person")
    with work_on(reference) as (_, case):
        assert (case.procedure, case.due_on) == ("corporate", date(2026, 3, 23))
    suggest(reference, Suggested("service", "childrens_initial_response", 0.8))

    review(reference, "service")

    with work_on(reference) as (_, case):
        assert (case.procedure, case.owner_team_id) == ("statutory", "childrens_initial_response")
        assert case.due_on == date(2026, 3, 16)  # 10 working days from receipt, not the corporate 15


def test_a_service_reviewed_after_stage1_leaves_the_case_with_the_crt(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    suggest: Callable[..., None],
    review: Callable[..., None],
    crt: Actor,
) -> None:
    reference = open_case("statutory")
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason="Asked for an investigation.")
    suggest(reference, Suggested("service", "fostering", 0.8))

    review(reference, "service")

    with work_on(reference) as (_, case):
        assert (case.service, case.owner_team_id, case.stage) == ("fostering", "crt", 2)


def test_overriding_the_type_to_question_switches_to_the_feedback_procedure(
    app: Application,
    open_case: OpenCase,
    work_on: WorkOn,
    suggest: Callable[..., None],
    review: Callable[..., None],
    clock: Any,
    audit_of: Audit,
) -> None:
    reference = open_case("untyped")  # runs as a corporate complaint: due Mon 23 Mar
    suggest(reference, Suggested("type", "complaint", 0.51))
    clock.advance(hours=2)

    review(reference, "type", label="question")

    with work_on(reference) as (session, case):
        assert (case.type, case.procedure) == ("question", "feedback")
        assert case.due_on == date(2026, 3, 16)  # 10 working days from receipt
        assert {clock.kind for clock in case.clocks if clock.running} == {"respond"}
        suggestion = session.scalars(select(Suggestion)).one()
        alex = session.scalar(select(Staff.id).where(Staff.email == "alex.morgan@council.example"))
        assert (suggestion.review, suggestion.label, suggestion.final_label) == ("overridden", "complaint", "question")
        assert (suggestion.reviewed_by_id, suggestion.reviewed_at) == (alex, datetime(2026, 3, 2, 11, 30, tzinfo=UTC))
    overridden = audit_of(reference)[-1]
    assert (overridden.action, overridden.actor) == ("suggestion.overridden", "alex.morgan@council.example")
    assert overridden.detail == {"head": "type", "label": "question"}


def test_a_complaint_past_stage1_stays_a_complaint(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    suggest: Callable[..., None],
    review: Callable[..., None],
    crt: Actor,
) -> None:
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.escalate(session, case, crt, requested_on=date(2026, 3, 2), reason="Asked for stage 2 review.")
    suggest(reference, Suggested("type", "question", 0.8))

    with pytest.raises(Conflict, match="stays a complaint"):
        review(reference, "type")
    with work_on(reference) as (_, case):
        assert (case.type, case.procedure) == ("complaint", "corporate")


def test_needs_review_clears_only_when_nothing_is_pending(
    app: Application, open_case: OpenCase, suggest: Callable[..., None], review: Callable[..., None]
) -> None:
    older = open_case("untyped", received_at=datetime(2026, 2, 27, 9, 0, tzinfo=UTC))
    newer = open_case("untyped")
    suggest(
        older,
        Suggested("type", "complaint", 0.9),
        Suggested("subject_category", "communication", 0.6),
        Suggested("service", "sendar", 0.7),
    )

    def queue() -> list[str]:
        with transaction(app.sessions) as session:
            return [case.reference for case in waiting_for_review(session)]

    review(older, "type")
    review(older, "service", label="school_transport")
    assert queue() == [older, newer]  # oldest first, and the subject category is still pending
    review(older, "subject_category")
    assert queue() == [newer]

    with transaction(app.sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == older)).one()
        assert (case.type, case.service, case.subject_category) == ("complaint", "school_transport", "communication")
        assert case.owner_team_id == "school_transport"
        assert session.scalar(select(func.count()).select_from(Suggestion).where(Suggestion.review == "pending")) == 0


# --- the CRT's fixed procedure -----------------------------------------------------------------------------


def test_a_procedure_the_crt_fixed_survives_a_later_service_review(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    suggest: Callable[..., None],
    review: Callable[..., None],
    crt: Actor,
) -> None:
    reference = open_case("statutory")
    with work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure="corporate", reason="The carer complains for herself.")
    suggest(reference, Suggested("service", "fostering", 0.9))

    review(reference, "service")  # fostering + young person would make the rules pick statutory again

    with work_on(reference) as (_, case):
        assert (case.service, case.owner_team_id) == ("fostering", "fostering")
        assert (case.procedure, case.procedure_fixed) == ("corporate", True)
        assert case.due_on == date(2026, 3, 23)


def test_regression_a_fixed_complaint_procedure_gives_way_when_the_type_becomes_a_question(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    suggest: Callable[..., None],
    review: Callable[..., None],
    crt: Actor,
) -> None:
    """Bug: `redecide_procedure` returned early for any fixed procedure, so a case the CRT had put on the
    statutory procedure and then reviewed as a question stayed a statutory 'question', on complaint clocks."""
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.change_procedure(session, case, crt, procedure="statutory", reason="The child asked us to complain.")
    suggest(reference, Suggested("type", "question", 0.9))

    review(reference, "type")

    with work_on(reference) as (_, case):
        assert (case.type, case.procedure) == ("question", "feedback")
        assert case.procedure_fixed is False  # the CRT fixed a procedure for a complaint, not for this question
        assert case.due_on == date(2026, 3, 16)
