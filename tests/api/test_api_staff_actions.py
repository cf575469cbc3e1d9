"""Staff work cases through the API: each action answers with the case as it now stands, and each of the
case service's refusals comes back as 403/404/409/422 with the service's own message in `detail`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from api_support import (
    ADMISSIONS,
    ADMISSIONS_MANAGER,
    CRT_MANAGER,
    CRT_OFFICER,
    CRT_OFFICER_2,
    SENDAR,
    ClockLike,
    OpenCase,
    StaffHeaders,
    complete_closing,
    statutory_body,
)
from fastapi.testclient import TestClient

AuditActions = Callable[..., list[tuple[str, str]]]
GiveToTeam = Callable[[str, str], None]
WorkingDays = Callable[[date, int], date]

REASON = "The complainant asked for more time to send evidence."


@pytest.fixture
def act(client: TestClient, as_staff: StaffHeaders) -> Callable[..., Any]:
    """Factory: `act(email, reference, "close", {...})` posts an action as that member of staff."""

    def post(email: str, reference: str, action: str, body: dict[str, Any] | None = None) -> Any:
        return client.post(f"/api/cases/{reference}/{action}", json=body, headers=as_staff(email))

    return post


Act = Callable[..., Any]


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def refused(response: Any, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"detail": detail}


@pytest.fixture
def statutory_case(client: TestClient, channel: dict[str, str]) -> str:
    """A parent's complaint for their child about a children's team (owned by the CRT: no team owns the label)."""
    response = client.post("/api/cases", json=statutory_body(), headers=channel)
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


def escalate_body(on: str = "2026-03-02", **extra: Any) -> dict[str, Any]:
    return {"requested_on": on, "reason": "The complainant is unhappy with the stage 1 response.", **extra}


# --- acknowledge ------------------------------------------------------------------------------------------------


def test_acknowledging_a_corporate_complaint_restarts_its_response_clock(
    act: Act, admissions_case: str, clock: ClockLike, working_days: WorkingDays, audit_actions: AuditActions
) -> None:
    clock.advance(days=1)  # acknowledged on Tuesday 3 March

    detail = ok(act(ADMISSIONS, admissions_case, "acknowledge"))

    assert detail["acknowledged_at"].startswith("2026-03-03")
    assert detail["due_on"] == working_days(date(2026, 3, 3), 10).isoformat()
    acknowledge = next(c for c in detail["clocks"] if c["kind"] == "acknowledge")
    assert acknowledge["met_on"] == "2026-03-03"
    assert audit_actions(admissions_case)[-2:] == [(ADMISSIONS, "case.viewed"), (ADMISSIONS, "case.acknowledged")]


def test_acknowledging_a_closed_case_is_a_conflict(act: Act, admissions_case: str) -> None:
    ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))

    refused(act(ADMISSIONS, admissions_case, "acknowledge"), 409, "this case is closed; reopen or escalate it first")


# --- assign -----------------------------------------------------------------------------------------------------


def test_crt_assigns_a_case_to_a_team_and_officer(act: Act, open_case: OpenCase) -> None:
    reference = open_case()["reference"]

    detail = ok(act(CRT_MANAGER, reference, "assign", {"team": "school_admissions", "staff_email": ADMISSIONS.upper()}))

    assert detail["team"] == "school_admissions"
    assert detail["assigned_to"] == ADMISSIONS
    assert detail["assignments"][-1] == {**detail["assignments"][-1], "team": "school_admissions", "staff": ADMISSIONS}


def test_a_team_assigns_within_itself_but_cannot_move_a_case_to_another_team(act: Act, admissions_case: str) -> None:
    within = ok(
        act(ADMISSIONS, admissions_case, "assign", {"team": "school_admissions", "staff_email": ADMISSIONS_MANAGER})
    )
    assert within["assigned_to"] == ADMISSIONS_MANAGER

    refused(
        act(ADMISSIONS, admissions_case, "assign", {"team": "sendar"}),
        403,
        "only the Customer Relations Team can move a case to another team",
    )


def test_assigning_to_an_officer_of_another_team_is_refused(act: Act, open_case: OpenCase, app: Any) -> None:
    reference = open_case()["reference"]

    response = act(CRT_MANAGER, reference, "assign", {"team": "school_admissions", "staff_email": SENDAR})

    assert response.status_code == 422
    assert "is not an active member of team school_admissions" in response.json()["detail"]


def test_assigning_to_an_unknown_officer_is_refused(act: Act, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    refused(
        act(CRT_MANAGER, reference, "assign", {"team": "crt", "staff_email": "nobody@council.example"}),
        422,
        "no member of staff with email 'nobody@council.example'",
    )


def test_assigning_to_an_unknown_team_is_refused(act: Act, open_case: OpenCase, stored_case: Any) -> None:
    reference = open_case()["reference"]

    response = act(CRT_MANAGER, reference, "assign", {"team": "parking_services"})

    assert response.status_code == 422
    assert "parking_services" in response.json()["detail"]
    assert stored_case(reference).owner_team_id == "crt"


def test_a_stage_2_complaint_cannot_be_assigned_away_from_the_crt(act: Act, admissions_case: str) -> None:
    ok(act(CRT_MANAGER, admissions_case, "close", complete_closing()))
    ok(act(CRT_MANAGER, admissions_case, "escalate", escalate_body()))

    refused(
        act(CRT_MANAGER, admissions_case, "assign", {"team": "school_admissions"}),
        409,
        "stage 2 and stage 3 complaints are owned by the Customer Relations Team",
    )


# --- extend -----------------------------------------------------------------------------------------------------


def test_an_extension_moves_the_deadline_within_the_procedures_limit(
    act: Act, statutory_case: str, working_days: WorkingDays, audit_actions: AuditActions
) -> None:
    detail = ok(act(CRT_OFFICER, statutory_case, "extend", {"working_days": 4, "reason": REASON}))

    assert detail["due_on"] == working_days(date(2026, 3, 2), 14).isoformat()
    assert [(e["previous_due_on"], e["new_due_on"], e["reason"], e["extended_by"]) for e in detail["extensions"]] == [
        ("2026-03-16", detail["due_on"], REASON, CRT_OFFICER)
    ]
    assert audit_actions(statutory_case)[-1] == (CRT_OFFICER, "case.extended")

    # Statutory stage 1: 10 working days, extendable to 20.
    at_limit = ok(act(CRT_OFFICER, statutory_case, "extend", {"working_days": 6, "reason": REASON}))
    assert at_limit["due_on"] == working_days(date(2026, 3, 2), 20).isoformat() == "2026-03-30"


def test_an_extension_beyond_the_limit_is_a_conflict(act: Act, statutory_case: str, stored_case: Any) -> None:
    refused(
        act(CRT_OFFICER, statutory_case, "extend", {"working_days": 11, "reason": REASON}),
        409,
        "the statutory procedure allows this deadline to move to 2026-03-30 at the latest; "
        "11 working days would take it to 2026-03-31",
    )
    assert stored_case(statutory_case).due_on == date(2026, 3, 16)


def test_an_extension_needs_days_and_a_reason(act: Act, statutory_case: str, stored_case: Any) -> None:
    for body in (
        {"working_days": 5, "reason": "too short"},
        {"working_days": 5, "reason": "   short    "},  # trimmed before it is measured
        {"working_days": 0, "reason": REASON},
        {"working_days": 61, "reason": REASON},
        {"working_days": "five", "reason": REASON},
        {"working_days": 5},
        {"reason": REASON},
    ):
        response = act(CRT_OFFICER, statutory_case, "extend", body)

        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], list)
    assert stored_case(statutory_case).due_on == date(2026, 3, 16)


def test_a_closed_case_cannot_be_extended(act: Act, admissions_case: str) -> None:
    ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))
    refused(
        act(ADMISSIONS, admissions_case, "extend", {"working_days": 2, "reason": REASON}),
        409,
        "this case is closed; reopen or escalate it first",
    )


# --- close and reopen -------------------------------------------------------------------------------------------


def test_closing_a_complaint_records_outcome_remedies_and_lessons(
    act: Act, admissions_case: str, audit_actions: AuditActions
) -> None:
    detail = ok(act(ADMISSIONS, admissions_case, "close", complete_closing(summary="Place offered on appeal.")))

    assert detail["status"] == "closed"
    assert detail["closed_at"] is not None
    assert detail["due_on"] is None
    [closure] = detail["closures"]
    assert closure["stage"] == 1
    assert closure["outcome"] == "partially_upheld"
    assert sorted(closure["remedies"]) == ["apology", "explanation_provided"]
    assert closure["lesson_theme"] == "communication"
    assert closure["summary"] == "Place offered on appeal."
    assert closure["closed_by"] == ADMISSIONS
    assert [c["kind"] for c in detail["clocks"] if c["met_on"] is None and c["stopped_on"] is None] == [
        "request_window"
    ]
    assert audit_actions(admissions_case)[-1] == (ADMISSIONS, "case.closed")


CLOSING_REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"outcome": None}, "a complaint needs an outcome: one of upheld, partially_upheld, not_upheld"),
    ({"remedies": []}, "a complaint needs at least one remedy"),
    ({"outcome": None, "remedies": []}, "a complaint needs an outcome"),
    ({"lesson_theme": "gardening"}, "lesson_theme must be one of "),
    ({"remedies": ["a_hug"]}, "unknown remedies ['a_hug']"),
]


def test_closing_a_complaint_without_its_outcome_remedy_or_lesson_is_refused(
    act: Act, admissions_case: str, stored_case: Any, audit_actions: AuditActions
) -> None:
    trail = audit_actions(admissions_case)
    for changes, detail in CLOSING_REFUSALS:
        body = {key: value for key, value in complete_closing(**changes).items() if value is not None}

        response = act(ADMISSIONS, admissions_case, "close", body)

        assert response.status_code == 422, (changes, response.text)
        assert response.json()["detail"].startswith(detail), changes
    assert stored_case(admissions_case).status == "open"
    assert audit_actions(admissions_case) == trail  # each refusal rolled back, nothing recorded as closed


def test_closing_without_lessons_learned_is_refused(act: Act, admissions_case: str, stored_case: Any) -> None:
    for lessons in (None, "", "short", "          "):
        body = complete_closing(lessons_learned=lessons)
        if lessons is None:
            del body["lessons_learned"]

        response = act(ADMISSIONS, admissions_case, "close", body)

        assert response.status_code == 422, lessons
        assert "lessons_learned" in response.text
    assert stored_case(admissions_case).status == "open"


def test_a_question_closes_without_an_outcome_but_not_with_one(act: Act, open_case: OpenCase) -> None:
    question = open_case(type="question")["reference"]
    lesson = {"lessons_learned": "Publish the offer dates on the website.", "lesson_theme": "website_information"}

    refused(
        act(CRT_OFFICER, question, "close", {**lesson, "outcome": "upheld"}),
        422,
        "a question has no outcome; outcomes are for complaints",
    )
    assert ok(act(CRT_OFFICER, question, "close", lesson))["status"] == "closed"


def test_closing_twice_is_a_conflict(act: Act, admissions_case: str) -> None:
    ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))
    refused(
        act(ADMISSIONS, admissions_case, "close", complete_closing()),
        409,
        "this case is closed; reopen or escalate it first",
    )


def test_reopening_restores_the_deadline(act: Act, admissions_case: str) -> None:
    due = ok(act(ADMISSIONS, admissions_case, "acknowledge"))["due_on"]
    ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))

    detail = ok(act(ADMISSIONS, admissions_case, "reopen", {"reason": "Closed in error: the wrong case."}))

    assert detail["status"] == "open"
    assert detail["closed_at"] is None
    assert detail["due_on"] == due


def test_reopening_an_open_case_is_a_conflict(act: Act, admissions_case: str) -> None:
    refused(
        act(ADMISSIONS, admissions_case, "reopen", {"reason": "Closed in error: the wrong case."}),
        409,
        "only a closed case can be reopened",
    )


def test_reopening_needs_a_reason(act: Act, admissions_case: str) -> None:
    ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))
    assert act(ADMISSIONS, admissions_case, "reopen", {"reason": "oops"}).status_code == 422
    assert act(ADMISSIONS, admissions_case, "reopen", {}).status_code == 422


# --- escalate ---------------------------------------------------------------------------------------------------


def test_crt_escalates_a_complaint_to_stage_2_and_owns_it(
    act: Act, admissions_case: str, clock: ClockLike, working_days: WorkingDays
) -> None:
    ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))
    clock.advance(days=7)  # Monday 9 March

    detail = ok(act(CRT_MANAGER, admissions_case, "escalate", escalate_body("2026-03-06", handler_email=CRT_OFFICER)))

    assert detail["stage"] == 2
    assert detail["status"] == "open"
    assert detail["team"] == "crt"
    assert detail["assigned_to"] == CRT_OFFICER
    # Corporate stage 2: acknowledge in 5 working days from the request, respond 20 after that.
    assert detail["due_on"] == working_days(working_days(date(2026, 3, 6), 5), 20).isoformat()


def test_only_the_crt_can_escalate(act: Act, admissions_case: str, stored_case: Any) -> None:
    ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))

    refused(
        act(ADMISSIONS_MANAGER, admissions_case, "escalate", escalate_body()),
        403,
        "only the Customer Relations Team can escalate a complaint",
    )
    assert stored_case(admissions_case).stage == 1


def test_escalation_rules(act: Act, open_case: OpenCase, admissions_case: str) -> None:
    question = open_case(type="question")["reference"]
    refused(
        act(CRT_MANAGER, question, "escalate", escalate_body()),
        409,
        "a question has no further stages; only complaints can be escalated",
    )
    future = act(CRT_MANAGER, admissions_case, "escalate", escalate_body("2026-03-03"))
    assert future.status_code == 422
    assert "in the future" in future.json()["detail"]
    response = act(CRT_MANAGER, admissions_case, "escalate", escalate_body(handler_email=ADMISSIONS))
    assert response.status_code == 422
    assert "is not an active member of team crt" in response.json()["detail"]

    ok(act(CRT_MANAGER, admissions_case, "escalate", escalate_body()))
    refused(
        act(CRT_MANAGER, admissions_case, "escalate", escalate_body()),
        409,
        "the corporate procedure ends at stage 2; the complainant can go to the Local Government and Social Care "
        "Ombudsman",
    )


def test_the_stage_2_handler_must_not_be_the_stage_1_handler(act: Act, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    ok(act(CRT_MANAGER, reference, "assign", {"team": "crt", "staff_email": CRT_OFFICER}))
    ok(act(CRT_MANAGER, reference, "close", complete_closing()))

    refused(
        act(CRT_MANAGER, reference, "escalate", escalate_body(handler_email=CRT_OFFICER)),
        409,
        "under the corporate procedure the stage 2 handler must not be the stage 1 handler",
    )
    assert ok(act(CRT_MANAGER, reference, "escalate", escalate_body(handler_email=CRT_OFFICER_2)))["stage"] == 2


# --- procedure and the stage 3 panel ------------------------------------------------------------------------------


def test_crt_changes_the_procedure(act: Act, admissions_case: str, working_days: WorkingDays) -> None:
    detail = ok(
        act(CRT_OFFICER, admissions_case, "procedure", {"procedure": "statutory", "reason": "The child is in care."})
    )

    assert detail["procedure"] == "statutory"
    assert detail["due_on"] == working_days(date(2026, 3, 2), 10).isoformat()


def test_procedure_change_rules(act: Act, admissions_case: str) -> None:
    refused(
        act(ADMISSIONS, admissions_case, "procedure", {"procedure": "statutory", "reason": "The child is in care."}),
        403,
        "only the Customer Relations Team can change a case's procedure",
    )
    refused(
        act(CRT_OFFICER, admissions_case, "procedure", {"procedure": "feedback", "reason": "It is really a question."}),
        409,
        "complaints follow the statutory or corporate procedure; other cases the feedback one",
    )
    assert (
        act(CRT_OFFICER, admissions_case, "procedure", {"procedure": "informal", "reason": REASON}).status_code == 422
    )


def test_the_panel_and_its_report_move_statutory_stage_3_on(
    act: Act, statutory_case: str, clock: ClockLike, working_days: WorkingDays
) -> None:
    ok(act(CRT_MANAGER, statutory_case, "close", complete_closing()))
    ok(act(CRT_MANAGER, statutory_case, "escalate", escalate_body()))
    ok(act(CRT_MANAGER, statutory_case, "close", complete_closing()))
    stage3 = ok(act(CRT_MANAGER, statutory_case, "escalate", escalate_body()))
    assert stage3["stage"] == 3
    assert stage3["due_on"] == working_days(date(2026, 3, 2), 30).isoformat()

    clock.advance(days=21)  # Monday 23 March
    panel = ok(act(CRT_MANAGER, statutory_case, "panel", {"on": "2026-03-20"}))
    assert panel["due_on"] == working_days(date(2026, 3, 20), 5).isoformat()

    report = ok(act(CRT_MANAGER, statutory_case, "panel-report", {"on": "2026-03-23"}))
    assert report["due_on"] == working_days(date(2026, 3, 23), 15).isoformat()
    assert [c["kind"] for c in report["clocks"] if c["stage"] == 3] == ["panel", "panel_report", "council_response"]

    refused(
        act(CRT_MANAGER, statutory_case, "panel", {"on": "2026-03-23"}),
        409,
        "stage 3 is not waiting for the panel",
    )


def test_panel_steps_belong_to_stage_3(act: Act, statutory_case: str) -> None:
    refused(
        act(CRT_MANAGER, statutory_case, "panel", {"on": "2026-03-02"}),
        409,
        "panel steps belong to an open stage 3 complaint",
    )
    refused(
        act(CRT_MANAGER, statutory_case, "panel-report", {"on": "2026-03-02"}),
        409,
        "panel steps belong to an open stage 3 complaint",
    )


def test_panel_dates_cannot_be_in_the_future(act: Act, statutory_case: str) -> None:
    refused(act(CRT_MANAGER, statutory_case, "panel", {"on": "2026-03-03"}), 422, "2026-03-03 is in the future")


def test_panel_steps_are_for_the_crt(act: Act, admissions_case: str) -> None:
    refused(
        act(ADMISSIONS, admissions_case, "panel", {"on": "2026-03-02"}),
        403,
        "only the Customer Relations Team can record a review panel",
    )
    refused(
        act(ADMISSIONS, admissions_case, "panel-report", {"on": "2026-03-02"}),
        403,
        "only the Customer Relations Team can record a panel report",
    )


# --- messages ---------------------------------------------------------------------------------------------------


def test_staff_record_a_reply_and_a_call(act: Act, admissions_case: str, clock: ClockLike) -> None:
    clock.advance(hours=2)
    ok(act(ADMISSIONS, admissions_case, "messages", {"direction": "out", "channel": "email", "body": "Dear Jo, …"}))
    detail = ok(
        act(
            ADMISSIONS,
            admissions_case,
            "messages",
            {"direction": "in", "channel": "phone", "body": "Jo rang to ask for an update.", "subject": "Call"},
        )
    )

    assert [(m["direction"], m["channel"], m["author"], m["subject"]) for m in detail["messages"]] == [
        ("in", "web_chat", "jo.bloggs@example.org", None),
        ("out", "email", ADMISSIONS, None),
        ("in", "phone", None, "Call"),
    ]
    assert detail["messages"][1]["created_at"].startswith("2026-03-02T11:30")


def test_an_inbound_message_on_a_closed_case_flags_it_for_review(
    act: Act, admissions_case: str, suggest: Callable[..., None]
) -> None:
    suggest(admissions_case, subject_category=("communication", 0.7))
    ok(act(CRT_MANAGER, admissions_case, "suggestions/subject_category/review", {"accept": True}))
    assert ok(act(ADMISSIONS, admissions_case, "close", complete_closing()))["needs_review"] is False

    detail = ok(
        act(ADMISSIONS, admissions_case, "messages", {"direction": "in", "channel": "letter", "body": "I disagree."})
    )

    assert detail["needs_review"] is True


def test_a_message_must_be_well_formed(act: Act, admissions_case: str) -> None:
    for body in (
        {"direction": "sideways", "channel": "email", "body": "x"},
        {"direction": "out", "channel": "pigeon", "body": "x"},
        {"direction": "out", "channel": "email", "body": ""},
        {"direction": "out", "channel": "email", "body": "   "},
        {"direction": "out", "channel": "email"},
        {"direction": "out", "channel": "email", "body": "x" * 100_001},
    ):
        assert act(ADMISSIONS, admissions_case, "messages", body).status_code == 422, body


# --- reviewing suggestions ----------------------------------------------------------------------------------------


def test_accepting_a_service_suggestion_routes_the_case_to_that_team(
    act: Act, open_case: OpenCase, suggest: Callable[..., None], audit_actions: AuditActions
) -> None:
    reference = open_case(service=None, contact={"email": "parent@example.org"})["reference"]
    suggest(reference, service=("sendar", 0.81), type=("complaint", 0.95))

    detail = ok(act(CRT_OFFICER, reference, "suggestions/service/review", {"accept": True}))

    assert detail["service"] == "sendar"
    assert detail["team"] == "sendar"
    assert detail["needs_review"] is True  # the type suggestion is still waiting
    service = next(s for s in detail["suggestions"] if s["head"] == "service")
    assert (service["review"], service["final_label"], service["reviewed_by"]) == ("accepted", "sendar", CRT_OFFICER)
    assert (CRT_OFFICER, "suggestion.accepted") in audit_actions(reference)

    assert ok(act(CRT_OFFICER, reference, "suggestions/type/review", {"accept": True}))["needs_review"] is False


def test_overriding_a_type_suggestion_changes_the_procedure(
    act: Act, open_case: OpenCase, suggest: Callable[..., None]
) -> None:
    reference = open_case(type=None)["reference"]
    suggest(reference, type=("complaint", 0.55))

    detail = ok(act(CRT_OFFICER, reference, "suggestions/type/review", {"accept": False, "label": "question"}))

    assert detail["type"] == "question"
    assert detail["procedure"] == "feedback"
    assert detail["suggestions"][0]["review"] == "overridden"


def test_review_rules(act: Act, open_case: OpenCase, admissions_case: str, suggest: Callable[..., None]) -> None:
    reference = open_case()["reference"]
    refused(
        act(CRT_OFFICER, reference, "suggestions/type/review", {"accept": True}),
        409,
        "there is no type suggestion waiting for review on this case",
    )
    suggest(reference, service=("sendar", 0.6))
    refused(
        act(CRT_OFFICER, reference, "suggestions/service/review", {"accept": False}),
        422,
        "an override needs the label to use instead",
    )
    refused(
        act(CRT_OFFICER, reference, "suggestions/service/review", {"accept": True, "label": "fostering"}),
        422,
        "to choose a different label, override the suggestion instead of accepting it",
    )
    refused(
        act(CRT_OFFICER, reference, "suggestions/service/review", {"accept": False, "label": "parking"}),
        422,
        "'parking' is not a service label; see shared/design/labels.md",
    )
    suggest(admissions_case, service=("school_admissions", 0.9))
    refused(
        act(ADMISSIONS, admissions_case, "suggestions/service/review", {"accept": True}),
        403,
        "only the Customer Relations Team can review suggestions",
    )
    unknown_head = act(CRT_OFFICER, reference, "suggestions/colour/review", {"accept": True})
    assert unknown_head.status_code == 422
    assert "head" in unknown_head.text


# --- every action: who may act ------------------------------------------------------------------------------------

ACTIONS: list[tuple[str, dict[str, Any] | None]] = [
    ("acknowledge", None),
    ("assign", {"team": "sendar"}),
    ("extend", {"working_days": 2, "reason": REASON}),
    ("close", complete_closing()),
    ("reopen", {"reason": REASON}),
    ("escalate", escalate_body()),
    ("procedure", {"procedure": "statutory", "reason": REASON}),
    ("panel", {"on": "2026-03-02"}),
    ("panel-report", {"on": "2026-03-02"}),
    ("messages", {"direction": "out", "channel": "email", "body": "Hello"}),
    ("suggestions/service/review", {"accept": True}),
]


def test_another_teams_case_cannot_be_acted_on_and_looks_unknown(
    act: Act, admissions_case: str, stored_case: Any
) -> None:
    before = stored_case(admissions_case)

    for action, body in ACTIONS:
        refused(act(SENDAR, admissions_case, action, body), 404, f"no case {admissions_case!r} that you can see")

    after = stored_case(admissions_case)
    assert (after.status, after.stage, after.owner_team_id, after.due_on, after.needs_review) == (
        before.status,
        before.stage,
        before.owner_team_id,
        before.due_on,
        before.needs_review,
    )


def test_actions_need_a_staff_token(client: TestClient, channel: dict[str, str], admissions_case: str) -> None:
    for action, body in ACTIONS:
        for headers in ({}, channel, {"Authorization": "Bearer not-a-token"}):
            response = client.post(f"/api/cases/{admissions_case}/{action}", json=body, headers=headers)
            assert response.status_code == 401, (action, headers)
            assert response.json() == {"detail": "a valid bearer token is required"}


def test_a_refused_action_changes_nothing_and_leaves_only_the_read_in_the_trail(
    act: Act, admissions_case: str, audit_actions: AuditActions
) -> None:
    before = audit_actions(admissions_case)

    assert act(ADMISSIONS, admissions_case, "close", complete_closing(outcome=None)).status_code == 422

    # The refusal rolls the whole request back, the read's audit event with it.
    assert audit_actions(admissions_case) == before
