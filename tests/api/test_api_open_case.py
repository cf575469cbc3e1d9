"""POST /api/cases: channels and staff open cases; the answer carries the reference, procedure and deadline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from api_support import (
    ADMISSIONS,
    CHANNEL_TOKEN,
    CITIZEN_EMAIL,
    CRT_OFFICER,
    ClockLike,
    Headers,
    StaffHeaders,
    case_body,
    statutory_body,
)
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from feedback.api.app import create_app
from store.actors import Actor
from store.db import transaction
from store.directory import issue_token
from store.models import Case


def test_channel_opens_a_complaint_and_gets_its_reference_procedure_and_due_date(
    client: TestClient, channel: Headers, working_days: Callable[[date, int], date]
) -> None:
    response = client.post("/api/cases", json=case_body(), headers=channel)

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"reference", "type", "procedure", "stage", "status", "due_on"}
    assert created["reference"].startswith("FB-")
    assert created["type"] == "complaint"
    assert created["procedure"] == "corporate"
    assert created["stage"] == 1
    assert created["status"] == "open"
    # Corporate: acknowledge within 5 working days, respond 10 working days after that, until acknowledged.
    assert created["due_on"] == working_days(working_days(date(2026, 3, 2), 5), 10).isoformat()


def test_complaint_on_behalf_of_a_child_about_a_childrens_team_is_statutory_due_in_ten_working_days(
    client: TestClient, channel: Headers, clock: ClockLike, working_days: Callable[[date, int], date]
) -> None:
    received = clock()
    response = client.post("/api/cases", json=statutory_body(), headers=channel)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["procedure"] == "statutory"
    assert created["stage"] == 1
    assert created["due_on"] == working_days(received.date(), 10).isoformat()
    assert created["due_on"] == "2026-03-16"  # received Monday 2 March 2026: two working weeks later


def test_statutory_due_date_skips_easter_bank_holidays(
    client: TestClient, channel: Headers, clock: ClockLike, working_days: Callable[[date, int], date]
) -> None:
    clock.set(datetime(2026, 3, 27, 11, 0, tzinfo=UTC))  # the Friday before Holy Week

    created = client.post("/api/cases", json=statutory_body(), headers=channel).json()

    # Good Friday (3 April) and Easter Monday (6 April) 2026 do not count.
    assert created["due_on"] == working_days(date(2026, 3, 27), 10).isoformat() == "2026-04-14"


def test_a_case_received_late_on_a_uk_evening_counts_from_the_london_date(
    client: TestClient, channel: Headers, clock: ClockLike, working_days: Callable[[date, int], date]
) -> None:
    # 23:30 UTC on Tuesday 30 June 2026 is already Wednesday 1 July in London (BST).
    clock.set(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))

    created = client.post("/api/cases", json=statutory_body(), headers=channel).json()

    assert created["due_on"] == working_days(date(2026, 7, 1), 10).isoformat()


PROCEDURE_CASES: list[tuple[dict[str, Any], str]] = [
    ({"type": "question"}, "feedback"),
    ({"type": "compliment", "text": "The admissions officer was wonderful."}, "feedback"),
    ({"type": "comment", "text": "The online form is hard to use on a phone."}, "feedback"),
    ({"service": "fostering", "complainant_role": "young_person"}, "statutory"),
    ({"service": "fostering", "complainant_role": "foster_carer"}, "corporate"),
    ({"service": "childrens_team", "on_behalf_of_child": True}, "statutory"),
    ({"service": "school_admissions", "on_behalf_of_child": True}, "corporate"),
    ({"type": None, "service": None}, "corporate"),  # untyped: runs on the complaint clock until reviewed
]


def test_procedure_follows_type_service_and_who_raises_it(client: TestClient, channel: Headers) -> None:
    for overrides, procedure in PROCEDURE_CASES:
        response = client.post("/api/cases", json=case_body(**overrides), headers=channel)

        assert response.status_code == 201, (overrides, response.text)
        assert response.json()["procedure"] == procedure, overrides


def test_untyped_case_is_opened_as_a_complaint(client: TestClient, channel: Headers) -> None:
    body = case_body()
    del body["type"]
    assert client.post("/api/cases", json=body, headers=channel).json()["type"] == "complaint"


def test_the_case_is_stored_with_its_contact_and_message(
    client: TestClient,
    channel: Headers,
    as_staff: StaffHeaders,
) -> None:
    body = case_body(subject="School place", urgent=True, contact={"name": "Jo", "email": "Jo.Bloggs@Example.ORG"})
    reference = client.post("/api/cases", json=body, headers=channel).json()["reference"]

    detail = client.get(f"/api/cases/{reference}", headers=as_staff(CRT_OFFICER)).json()

    assert detail["contact"]["email"] == CITIZEN_EMAIL  # stored in one (lower-case) form
    assert detail["channel"] == "web_chat"
    assert detail["urgent"] is True
    assert detail["needs_review"] is True
    assert detail["team"] == "crt"  # every new case waits for the CRT's review
    assert [(m["direction"], m["subject"], m["body"]) for m in detail["messages"]] == [
        ("in", "School place", body["text"])
    ]


def test_surrounding_whitespace_is_trimmed(client: TestClient, channel: Headers, as_staff: StaffHeaders) -> None:
    reference = client.post("/api/cases", json=case_body(text="  Please call me back.  \n"), headers=channel).json()[
        "reference"
    ]
    detail = client.get(f"/api/cases/{reference}", headers=as_staff(CRT_OFFICER)).json()
    assert detail["messages"][0]["body"] == "Please call me back."


def test_contact_by_phone_alone_is_enough(client: TestClient, channel: Headers) -> None:
    response = client.post("/api/cases", json=case_body(contact={"phone": "+44 7700 900123"}), headers=channel)
    assert response.status_code == 201, response.text


def test_anonymous_case_needs_no_contact(client: TestClient, channel: Headers, as_staff: StaffHeaders) -> None:
    body = case_body(anonymous=True)
    del body["contact"]

    response = client.post("/api/cases", json=body, headers=channel)

    assert response.status_code == 201, response.text
    detail = client.get(f"/api/cases/{response.json()['reference']}", headers=as_staff(CRT_OFFICER)).json()
    assert detail["contact"] is None


def test_anonymous_case_with_contact_details_is_refused(client: TestClient, channel: Headers) -> None:
    response = client.post("/api/cases", json=case_body(anonymous=True), headers=channel)

    assert response.status_code == 422
    assert "anonymous case cannot carry contact details" in response.text


def test_a_case_with_no_way_to_reply_and_not_anonymous_is_refused(client: TestClient, channel: Headers) -> None:
    for contact in (None, {}, {"name": "Jo Bloggs"}, {"email": None, "phone": None}):
        body = case_body()
        body.pop("contact")
        if contact is not None:
            body["contact"] = contact

        response = client.post("/api/cases", json=body, headers=channel)

        assert response.status_code == 422, contact
        assert "give contact.email or contact.phone, or set anonymous: true" in response.text


def test_child_consent_only_applies_on_behalf_of_a_child(client: TestClient, channel: Headers) -> None:
    response = client.post("/api/cases", json=case_body(child_knows_and_agrees=True), headers=channel)
    assert response.status_code == 422
    assert "on_behalf_of_child" in response.text


def test_unknown_service_label_is_refused_by_the_case_service(client: TestClient, channel: Headers) -> None:
    response = client.post("/api/cases", json=case_body(service="parking"), headers=channel)

    assert response.status_code == 422
    assert response.json() == {"detail": "unknown service 'parking'"}


# --- who may open a case ------------------------------------------------------------------------------------


BAD_AUTHORIZATIONS = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer not-the-token",
    f"Bearer {CHANNEL_TOKEN}x",
    f"Bearer {CHANNEL_TOKEN[:-1]}",
    f"Bearer {CHANNEL_TOKEN.upper()}",
    f"Basic {CHANNEL_TOKEN}",
    CHANNEL_TOKEN,
    "Bearer " + "x" * 5000,
]


def test_opening_a_case_needs_a_valid_bearer_token(client: TestClient, app: Any) -> None:
    for authorization in BAD_AUTHORIZATIONS:
        headers = {} if authorization is None else {"Authorization": authorization}

        response = client.post("/api/cases", json=case_body(), headers=headers)

        assert response.status_code == 401, authorization
        assert response.json() == {"detail": "a valid bearer token is required"}
        assert response.headers["WWW-Authenticate"] == "Bearer"
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count(Case.id))) == 0


def test_with_no_channel_tokens_configured_only_staff_can_open_cases(
    app: Any, as_staff: StaffHeaders, build_app: Callable[..., Any]
) -> None:
    bare = TestClient(create_app(build_app(channel_tokens=())))

    assert bare.post("/api/cases", json=case_body(), headers={"Authorization": "Bearer "}).status_code == 401
    refused = bare.post("/api/cases", json=case_body(), headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"})
    assert refused.status_code == 401
    assert bare.post("/api/cases", json=case_body(), headers=as_staff(ADMISSIONS)).status_code == 201


def test_a_revoked_staff_token_stops_working(client: TestClient, token_for: Callable[[str], str], app: Any) -> None:
    old = token_for(CRT_OFFICER)
    with transaction(app.sessions) as session:
        new = issue_token(session, CRT_OFFICER, Actor.system("test"))

    assert client.post("/api/cases", json=case_body(), headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.post("/api/cases", json=case_body(), headers={"Authorization": f"Bearer {new}"}).status_code == 201


def test_phone_letter_and_visit_cases_are_for_staff_only(
    client: TestClient, channel: Headers, as_staff: StaffHeaders
) -> None:
    for staff_channel in ("phone", "letter", "in_person"):
        refused = client.post("/api/cases", json=case_body(channel=staff_channel), headers=channel)

        assert refused.status_code == 403
        assert refused.json() == {"detail": f"only staff can open {staff_channel} cases"}

        taken = client.post("/api/cases", json=case_body(channel=staff_channel), headers=as_staff(ADMISSIONS))
        assert taken.status_code == 201, taken.text


def test_staff_may_also_open_chat_and_email_cases(client: TestClient, as_staff: StaffHeaders) -> None:
    for citizen_channel in ("web_chat", "email"):
        response = client.post("/api/cases", json=case_body(channel=citizen_channel), headers=as_staff(CRT_OFFICER))
        assert response.status_code == 201, response.text


def test_who_opened_the_case_is_in_the_audit_trail(
    client: TestClient,
    channel: Headers,
    as_staff: StaffHeaders,
    audit_actions: Callable[..., list[tuple[str, str]]],
) -> None:
    by_chat = client.post("/api/cases", json=case_body(), headers=channel).json()["reference"]
    by_phone = client.post("/api/cases", json=case_body(channel="phone"), headers=as_staff(ADMISSIONS)).json()[
        "reference"
    ]

    assert audit_actions(by_chat) == [("channel:api", "case.opened")]
    assert audit_actions(by_phone) == [(ADMISSIONS, "case.opened")]


def test_non_ascii_and_emoji_text_round_trips(client: TestClient, channel: Headers, as_staff: StaffHeaders) -> None:
    text = "Mae fy mab 👦🏽 wedi aros 3 mis — «Dim ateb» — 子供の学校 — Zoë & Siân ✅"
    body = case_body(text=text, subject="Ysgol 🏫", contact={"name": "Siân Ó Dálaigh", "email": "sian@example.org"})

    reference = client.post("/api/cases", json=body, headers=channel).json()["reference"]
    detail = client.get(f"/api/cases/{reference}", headers=as_staff(CRT_OFFICER)).json()

    assert detail["messages"][0]["body"] == text
    assert detail["messages"][0]["subject"] == "Ysgol 🏫"
    assert detail["contact"]["name"] == "Siân Ó Dálaigh"


def test_sql_looking_text_is_stored_as_text(client: TestClient, channel: Headers, as_staff: StaffHeaders) -> None:
    hostile = "Robert'); DROP TABLE cases;-- \" OR 1=1 /* %s %(x)s $1 \\x00"
    reference = client.post("/api/cases", json=case_body(text=hostile, subject=hostile), headers=channel).json()[
        "reference"
    ]

    detail = client.get(f"/api/cases/{reference}", headers=as_staff(CRT_OFFICER)).json()
    assert detail["messages"][0]["body"] == hostile
    listed = client.get("/api/cases", headers=as_staff(CRT_OFFICER)).json()
    assert listed["total"] == 1


def test_duplicate_submissions_make_two_cases_with_two_references(client: TestClient, channel: Headers) -> None:
    """Documented behaviour: the API does not de-duplicate. Two identical POSTs are two cases (a channel that
    retries must not resend after a 201); the CRT merges genuine duplicates when reviewing."""
    body = case_body()

    first = client.post("/api/cases", json=body, headers=channel)
    second = client.post("/api/cases", json=body, headers=channel)

    assert first.status_code == second.status_code == 201
    assert first.json()["reference"] != second.json()["reference"]


def test_the_same_citizen_is_one_contact_across_cases(
    client: TestClient, channel: Headers, as_staff: StaffHeaders
) -> None:
    first = client.post("/api/cases", json=case_body(), headers=channel).json()["reference"]
    second = client.post(
        "/api/cases", json=case_body(contact={"email": CITIZEN_EMAIL.upper(), "phone": "07700 900123"}), headers=channel
    ).json()["reference"]

    crt = as_staff(CRT_OFFICER)
    first_contact = client.get(f"/api/cases/{first}", headers=crt).json()["contact"]
    second_contact = client.get(f"/api/cases/{second}", headers=crt).json()["contact"]
    assert first_contact == second_contact == {"name": "Jo Bloggs", "email": CITIZEN_EMAIL, "phone": "07700900123"}
