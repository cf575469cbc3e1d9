"""Staff reads: GET /api/cases/{reference}, GET /api/cases and the review queue.

The CRT sees every case; a team only its own, and another team's case looks exactly like one that does not
exist. Every read, and every refused read, is in the audit trail, committed even when the answer is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api_support import (
    ADMISSIONS,
    ADMISSIONS_MANAGER,
    CHANNEL_TOKEN,
    CRT_MANAGER,
    CRT_OFFICER,
    INITIAL_RESPONSE,
    SENDAR,
    ClockLike,
    OpenCase,
    StaffHeaders,
    complete_closing,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from feedback.application import Application
from store.db import transaction
from store.models import AuditEvent, Case
from store.references import new_reference

AuditActions = Callable[..., list[tuple[str, str]]]
GiveToTeam = Callable[[str, str], None]


def not_found(reference: str) -> dict[str, str]:
    return {"detail": f"no case {reference!r} that you can see"}


# --- one case -----------------------------------------------------------------------------------------------


def test_crt_reads_any_case_in_full(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, admissions_case: str
) -> None:
    own = open_case()["reference"]

    for reference in (own, admissions_case):
        response = client.get(f"/api/cases/{reference}", headers=as_staff(CRT_OFFICER))
        assert response.status_code == 200, response.text
        assert response.json()["reference"] == reference

    detail = client.get(f"/api/cases/{admissions_case}", headers=as_staff(CRT_OFFICER)).json()
    assert detail["team"] == "school_admissions"
    assert detail["procedure"] == "corporate"
    assert [(clock["kind"], clock["stage"]) for clock in detail["clocks"]] == [("acknowledge", 1), ("respond", 1)]
    assert [(a["team"], a["assigned_by"]) for a in detail["assignments"]] == [
        ("crt", "channel:api"),
        ("school_admissions", CRT_MANAGER),
    ]
    assert detail["extensions"] == detail["closures"] == detail["suggestions"] == []


def test_a_team_reads_its_own_cases(client: TestClient, as_staff: StaffHeaders, admissions_case: str) -> None:
    for email in (ADMISSIONS, ADMISSIONS_MANAGER):
        response = client.get(f"/api/cases/{admissions_case}", headers=as_staff(email))
        assert response.status_code == 200, response.text


def test_another_teams_case_is_indistinguishable_from_an_unknown_reference(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, admissions_case: str
) -> None:
    crt_owned = open_case()["reference"]
    unknown = new_reference()
    sendar = as_staff(SENDAR)

    for reference in (admissions_case, crt_owned, unknown):
        response = client.get(f"/api/cases/{reference}", headers=sendar)
        assert response.status_code == 404
        assert response.json() == not_found(reference)
        assert response.headers["content-type"] == "application/json"


def test_each_read_is_audited_with_who_read_it(
    client: TestClient, as_staff: StaffHeaders, admissions_case: str, audit_actions: AuditActions
) -> None:
    before = audit_actions(admissions_case)

    client.get(f"/api/cases/{admissions_case}", headers=as_staff(ADMISSIONS))
    client.get(f"/api/cases/{admissions_case}", headers=as_staff(CRT_OFFICER))
    client.get(f"/api/cases/{admissions_case}", headers=as_staff(ADMISSIONS))

    assert audit_actions(admissions_case)[len(before) :] == [
        (ADMISSIONS, "case.viewed"),
        (CRT_OFFICER, "case.viewed"),
        (ADMISSIONS, "case.viewed"),
    ]


def test_a_refused_read_is_audited_and_committed(
    client: TestClient, app: Application, as_staff: StaffHeaders, admissions_case: str, audit_actions: AuditActions
) -> None:
    before = audit_actions(admissions_case)

    assert client.get(f"/api/cases/{admissions_case}", headers=as_staff(SENDAR)).status_code == 404

    # Read back in a fresh transaction: the 404 did not roll the audit event back.
    assert audit_actions(admissions_case)[len(before) :] == [(SENDAR, "case.view_refused")]


def test_a_read_of_an_unknown_reference_is_audited_with_what_was_asked_for(
    client: TestClient, app: Application, as_staff: StaffHeaders
) -> None:
    probe = new_reference()

    assert client.get(f"/api/cases/{probe}", headers=as_staff(INITIAL_RESPONSE)).status_code == 404

    with transaction(app.sessions) as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.view_refused")).all()
    assert [(event.actor, event.case_id, event.detail) for event in refused] == [
        (INITIAL_RESPONSE, None, {"reference": probe})
    ]


def test_an_unauthorised_read_writes_no_audit_event_and_is_a_401(
    client: TestClient, admissions_case: str, audit_actions: AuditActions
) -> None:
    before = audit_actions(admissions_case)

    assert client.get(f"/api/cases/{admissions_case}").status_code == 401
    assert client.get(f"/api/cases/{admissions_case}", headers={"Authorization": "Bearer nope"}).status_code == 401

    assert audit_actions(admissions_case) == before


def test_a_channel_token_cannot_read_cases(client: TestClient) -> None:
    for path in ("/api/cases", "/api/cases/FB-0000-0000", "/api/review-queue"):
        response = client.get(path, headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"})

        assert response.status_code == 401, path
        assert response.json() == {"detail": "a valid bearer token is required"}


def test_a_reference_may_be_typed_loosely_by_staff(
    client: TestClient, as_staff: StaffHeaders, admissions_case: str
) -> None:
    response = client.get(f"/api/cases/{admissions_case.lower().replace('-', '')}", headers=as_staff(ADMISSIONS))
    assert response.status_code == 200
    assert response.json()["reference"] == admissions_case


def test_staff_removed_from_the_directory_lose_access(
    client: TestClient, app: Application, as_staff: StaffHeaders, admissions_case: str
) -> None:
    headers = as_staff(ADMISSIONS)
    assert client.get(f"/api/cases/{admissions_case}", headers=headers).status_code == 200

    with transaction(app.sessions) as session:
        from store.directory import sync_directory

        remaining = [member for member in app.settings.staff if member.email != ADMISSIONS]
        sync_directory(session, app.settings.teams, remaining)

    assert client.get(f"/api/cases/{admissions_case}", headers=headers).status_code == 401


# --- the list ------------------------------------------------------------------------------------------------


def references(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [case["reference"] for case in response.json()["cases"]]


def test_crt_lists_every_case_and_a_team_only_its_own(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, give_to_team: GiveToTeam
) -> None:
    crt_owned = open_case()["reference"]
    mine = open_case()["reference"]
    give_to_team(mine, "school_admissions")
    theirs = open_case(service="sendar")["reference"]
    give_to_team(theirs, "sendar")

    assert sorted(references(client.get("/api/cases", headers=as_staff(CRT_OFFICER)))) == sorted(
        [crt_owned, mine, theirs]
    )
    assert references(client.get("/api/cases", headers=as_staff(ADMISSIONS))) == [mine]
    assert references(client.get("/api/cases", headers=as_staff(SENDAR))) == [theirs]
    assert references(client.get("/api/cases", headers=as_staff(INITIAL_RESPONSE))) == []
    # Asking for another team's cases does not widen a team's view.
    team_filter = client.get("/api/cases", params={"team": "sendar"}, headers=as_staff(ADMISSIONS))
    assert references(team_filter) == []
    assert team_filter.json()["total"] == 0


def test_the_list_is_a_summary_earliest_due_first(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, clock: ClockLike
) -> None:
    corporate = open_case()  # due after acknowledgement + 10 working days
    question = open_case(type="question")  # due in 10 working days
    clock.advance(days=1)
    later_question = open_case(type="question")

    listed = client.get("/api/cases", headers=as_staff(CRT_OFFICER)).json()

    assert listed["total"] == 3
    assert [case["reference"] for case in listed["cases"]] == [
        question["reference"],
        later_question["reference"],
        corporate["reference"],
    ]
    assert set(listed["cases"][0]) == {
        "reference",
        "type",
        "procedure",
        "stage",
        "status",
        "team",
        "assigned_to",
        "service",
        "urgent",
        "needs_review",
        "low_confidence",
        "classified",
        "area_team",
        "received_at",
        "due_on",
    }
    assert "messages" not in listed["cases"][0]


def test_the_list_filters_by_status_and_team(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, give_to_team: GiveToTeam
) -> None:
    crt = as_staff(CRT_MANAGER)
    open_one = open_case()["reference"]
    closed_one = open_case()["reference"]
    assert client.post(f"/api/cases/{closed_one}/close", json=complete_closing(), headers=crt).status_code == 200
    admissions = open_case()["reference"]
    give_to_team(admissions, "school_admissions")

    assert sorted(references(client.get("/api/cases", params={"status": "open"}, headers=crt))) == sorted(
        [open_one, admissions]
    )
    assert references(client.get("/api/cases", params={"status": "closed"}, headers=crt)) == [closed_one]
    assert references(client.get("/api/cases", params={"team": "school_admissions"}, headers=crt)) == [admissions]
    assert references(client.get("/api/cases", params={"team": "crt", "status": "closed"}, headers=crt)) == [closed_one]


def test_the_list_filters_cases_waiting_for_review(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, suggest: Callable[..., None]
) -> None:
    crt = as_staff(CRT_MANAGER)
    reviewed = open_case()["reference"]
    waiting = open_case()["reference"]
    suggest(reviewed, type=("complaint", 0.92))
    accepted = client.post(f"/api/cases/{reviewed}/suggestions/type/review", json={"accept": True}, headers=crt)
    assert accepted.status_code == 200, accepted.text

    assert references(client.get("/api/cases", params={"needs_review": "true"}, headers=crt)) == [waiting]
    assert references(client.get("/api/cases", params={"needs_review": "false"}, headers=crt)) == [reviewed]
    assert references(client.get("/api/review-queue", headers=crt)) == [waiting]


def test_the_list_filters_overdue_cases(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, clock: ClockLike
) -> None:
    crt = as_staff(CRT_OFFICER)
    question = open_case(type="question")
    assert references(client.get("/api/cases", params={"overdue": "true"}, headers=crt)) == []

    clock.advance(days=14)  # due on the 10th working day: Monday 16 March; now Monday 16 March
    assert question["due_on"] == "2026-03-16"
    assert references(client.get("/api/cases", params={"overdue": "true"}, headers=crt)) == []

    clock.advance(days=1)
    assert references(client.get("/api/cases", params={"overdue": "true"}, headers=crt)) == [question["reference"]]
    assert len(references(client.get("/api/cases", params={"overdue": "false"}, headers=crt))) == 1


def test_the_list_pages_with_limit_and_offset(client: TestClient, open_case: OpenCase, as_staff: StaffHeaders) -> None:
    crt = as_staff(CRT_OFFICER)
    opened = []
    for _ in range(5):
        opened.append(open_case(type="question")["reference"])
    everything = references(client.get("/api/cases", headers=crt))

    first = client.get("/api/cases", params={"limit": 2}, headers=crt)
    second = client.get("/api/cases", params={"limit": 2, "offset": 2}, headers=crt)
    beyond = client.get("/api/cases", params={"limit": 2, "offset": 10}, headers=crt)

    assert sorted(everything) == sorted(opened)
    assert references(first) + references(second) == everything[:4]
    assert first.json()["total"] == second.json()["total"] == beyond.json()["total"] == 5
    assert references(beyond) == []


def test_listing_is_audited(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, audit_actions: AuditActions
) -> None:
    open_case()
    client.get("/api/cases", params={"status": "open"}, headers=as_staff(ADMISSIONS))
    assert audit_actions(case_less=True)[-1] == (ADMISSIONS, "cases.listed")


def test_only_the_crt_sees_the_review_queue(client: TestClient, open_case: OpenCase, as_staff: StaffHeaders) -> None:
    open_case()

    refused = client.get("/api/review-queue", headers=as_staff(ADMISSIONS))

    assert refused.status_code == 403
    assert refused.json() == {"detail": "only the Customer Relations Team can see the review queue"}
    assert client.get("/api/review-queue", headers=as_staff(CRT_OFFICER)).json()["total"] == 1


def test_the_case_count_does_not_leak_other_teams_cases(
    client: TestClient, app: Application, open_case: OpenCase, as_staff: StaffHeaders
) -> None:
    for _ in range(3):
        open_case()
    with transaction(app.sessions) as session:
        assert len(session.scalars(select(Case)).all()) == 3

    assert client.get("/api/cases", headers=as_staff(ADMISSIONS)).json() == {"total": 0, "cases": []}
