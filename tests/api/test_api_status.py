"""GET /api/status/{reference}?email=…: a citizen's own lookup, which must not help anyone else guess.

A wrong email, an unknown reference and a malformed one get the very same 404; failed lookups are counted
per client address and per reference, and past `web.status_lookup_limit` the answer is 429.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_support import CITIZEN_EMAIL, CRT_MANAGER, ClockLike, OpenCase, StaffHeaders, case_body, complete_closing
from fastapi.testclient import TestClient

from feedback.api.app import create_app
from feedback.application import Application
from store.references import new_reference

NOT_FOUND_BODY = b'{"detail":"We could not find a case with that reference and email address."}'

ClientFor = Callable[[str], TestClient]


@pytest.fixture
def client_at(api_app: Application) -> Iterator[ClientFor]:
    """Factory: a client calling from another address (the limit is per client)."""
    api = create_app(api_app)
    clients: list[TestClient] = []

    def make(host: str) -> TestClient:
        clients.append(TestClient(api, client=(host, 40000)))
        return clients[-1]

    yield make
    for made in clients:
        made.close()


def status(client: TestClient, reference: str, email: str = CITIZEN_EMAIL) -> Any:
    return client.get(f"/api/status/{reference}", params={"email": email})


def test_the_citizen_sees_where_their_case_is(client: TestClient, open_case: OpenCase) -> None:
    created = open_case()

    response = status(client, created["reference"])

    assert response.status_code == 200, response.text
    assert response.json() == {
        "reference": created["reference"],
        "type": "complaint",
        "procedure": "corporate",
        "stage": 1,
        "status": "open",
        "team": "Customer Relations Team",
        "received_on": "2026-03-02",
        "due_on": created["due_on"],
    }


def test_the_status_reveals_nothing_of_the_case_contents(client: TestClient, open_case: OpenCase) -> None:
    created = open_case(
        text="My daughter Amelia was excluded from Oakfield Primary.",
        contact={"name": "Jo Bloggs", "email": CITIZEN_EMAIL},
    )

    text = status(client, created["reference"]).text

    for private in ("Amelia", "Oakfield", "Jo Bloggs", CITIZEN_EMAIL, "school_admissions"):
        assert private not in text


def test_email_matches_whatever_its_case(client: TestClient, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    for typed_email in (CITIZEN_EMAIL.upper(), "Jo.Bloggs@Example.Org", f"  {CITIZEN_EMAIL}  "):
        assert status(client, reference, typed_email).status_code == 200, typed_email


def test_the_reference_may_be_typed_loosely(client: TestClient, open_case: OpenCase) -> None:
    reference = open_case()["reference"]

    assert status(client, reference.lower()).json()["reference"] == reference
    assert status(client, reference.replace("-", "")).json()["reference"] == reference


def test_the_status_follows_the_case(
    client: TestClient, open_case: OpenCase, as_staff: StaffHeaders, give_to_team: Callable[[str, str], None]
) -> None:
    reference = open_case()["reference"]
    give_to_team(reference, "school_admissions")
    assert status(client, reference).json()["team"] == "School Admissions"

    closed = client.post(f"/api/cases/{reference}/close", json=complete_closing(), headers=as_staff(CRT_MANAGER))
    assert closed.status_code == 200, closed.text

    after = status(client, reference).json()
    assert after["status"] == "closed"
    assert after["due_on"] is None


def test_wrong_email_unknown_and_malformed_references_get_the_same_404(client: TestClient, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    answers = {
        "wrong email": status(client, reference, "someone.else@example.org"),
        "unknown reference": status(client, new_reference()),
        "mistyped check symbol": status(client, reference[:-1] + ("0" if reference[-1] != "0" else "1")),
        "malformed reference": status(client, "not-a-reference"),
        "sql-ish reference": status(client, "FB' OR '1'='1"),
        "sql-ish email": status(client, reference, "x@example.org' OR '1'='1"),
    }

    for what, response in answers.items():
        assert response.status_code == 404, what
        assert response.content == NOT_FOUND_BODY, what
        assert response.headers["content-type"] == "application/json", what
        assert "retry-after" not in response.headers, what


def test_an_anonymous_case_has_no_status_to_give(client: TestClient, channel: Any) -> None:
    body = case_body(anonymous=True)
    del body["contact"]
    reference = client.post("/api/cases", json=body, headers=channel).json()["reference"]

    response = status(client, reference, "anyone@example.org")

    assert response.status_code == 404
    assert response.content == NOT_FOUND_BODY


def test_a_phone_only_case_cannot_be_looked_up_by_email(client: TestClient, open_case: OpenCase) -> None:
    reference = open_case(contact={"phone": "07700 900123"})["reference"]
    assert status(client, reference, "07700900123@example.org").content == NOT_FOUND_BODY


def test_the_email_is_required_and_bounded(client: TestClient, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    for query in ("", "?email=", "?email=ab", "?email=" + "a" * 255):
        response = client.get(f"/api/status/{reference}{query}")

        assert response.status_code == 422, query
        assert "email" in response.text


def test_a_successful_lookup_is_audited_as_the_citizen(
    client: TestClient, open_case: OpenCase, audit_actions: Callable[..., list[tuple[str, str]]]
) -> None:
    reference = open_case()["reference"]
    status(client, reference)
    assert audit_actions(reference)[-1] == ("citizen", "case.status_viewed")


# --- rate limit -------------------------------------------------------------------------------------------------


def test_failures_past_the_limit_are_refused_with_retry_after(client: TestClient, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    for _ in range(10):  # config.yml: 10 failures per 15 minutes
        assert status(client, new_reference()).status_code == 404

    refused = status(client, new_reference())

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(15 * 60)
    assert refused.json() == {"detail": "too many unsuccessful lookups; try again later"}
    # Once limited, even the right answer is withheld: otherwise the limit could be probed around.
    assert status(client, reference).status_code == 429


def test_the_limit_comes_from_the_settings(
    build_app: Callable[..., Application], open_case: OpenCase, api_app: Application
) -> None:
    limit = api_app.settings.web.status_lookup_limit.model_copy(update={"attempts": 3, "per_minutes": 2})
    strict = TestClient(create_app(build_app(status_lookup_limit=limit)))
    for _ in range(3):
        assert status(strict, "FB-0000-0000").status_code == 404

    refused = status(strict, "FB-0000-0000")

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "120"


def test_a_success_below_the_limit_still_works_and_is_not_a_failure(client: TestClient, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    for _ in range(9):
        assert status(client, reference, "wrong@example.org").status_code == 404

    assert status(client, reference).status_code == 200  # the 10th lookup, but only the 9 failures count
    assert status(client, reference).status_code == 200
    assert status(client, reference, "wrong@example.org").status_code == 404  # the 10th failure

    assert status(client, reference).status_code == 429


def test_the_limit_is_per_client(client_at: ClientFor, open_case: OpenCase) -> None:
    reference = open_case()["reference"]
    guesser, citizen = client_at("198.51.100.7"), client_at("203.0.113.20")
    for _ in range(10):
        assert status(guesser, new_reference()).status_code == 404
    assert status(guesser, new_reference()).status_code == 429

    assert status(citizen, reference).status_code == 200
    assert status(citizen, new_reference()).status_code == 404


def test_the_limit_is_also_per_reference_whichever_client_asks(client_at: ClientFor, open_case: OpenCase) -> None:
    """Spreading guesses at one reference's email over many addresses does not get round the limit."""
    target, other = open_case()["reference"], open_case()["reference"]
    for attempt in range(10):
        assert status(client_at(f"198.51.100.{attempt}"), target, f"guess{attempt}@example.org").status_code == 404

    fresh = client_at("192.0.2.1")
    assert status(fresh, target).status_code == 429
    assert status(fresh, other).status_code == 200


def test_the_limit_lifts_when_the_window_has_passed(client: TestClient, open_case: OpenCase, clock: ClockLike) -> None:
    reference = open_case()["reference"]
    for _ in range(10):
        status(client, new_reference())
    assert status(client, reference).status_code == 429

    clock.advance(minutes=14)
    assert status(client, reference).status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert status(client, reference).status_code == 200


def test_a_channel_counts_failures_per_conversation_not_per_address(
    client: TestClient, open_case: OpenCase, channel: Any
) -> None:
    """Every chat lookup comes from the action server's address: one person's mistakes must not lock out the rest."""
    reference = open_case()["reference"]

    def ask(conversation: str, ref: str, *, headers: dict[str, str] | None = None) -> int:
        sent = {**(headers if headers is not None else channel), "X-Chat-Client": conversation}
        return int(client.get(f"/api/status/{ref}", params={"email": CITIZEN_EMAIL}, headers=sent).status_code)

    for _ in range(10):
        assert ask("conversation-1", new_reference()) == 404
    assert ask("conversation-1", new_reference()) == 429
    assert ask("conversation-2", reference) == 200
    # Without a channel token the header is ignored: the address is the key, and it is now limited.
    for _ in range(10):
        ask("anyone", new_reference(), headers={})
    assert ask("someone-new", reference, headers={}) == 429
