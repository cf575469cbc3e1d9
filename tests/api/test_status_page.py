"""The citizen's status page: an HTML form over the same lookup and limits as GET /api/status."""

from __future__ import annotations

from api_support import CITIZEN_EMAIL, OpenCase
from fastapi.testclient import TestClient

from feedback.api.public import NOT_FOUND


def test_the_form_is_labelled_and_prefilled_from_the_link(client: TestClient) -> None:
    page = client.get("/status", params={"reference": "FB-7K3M-9QX4"})
    assert page.status_code == 200
    assert '<label for="reference">' in page.text and '<label for="email">' in page.text
    assert 'value="FB-7K3M-9QX4"' in page.text
    assert 'method="post"' in page.text  # the email goes in the body, not the address bar


def test_the_right_email_shows_the_stage_team_and_date(client: TestClient, open_case: OpenCase) -> None:
    created = open_case()
    page = client.post("/status", data={"reference": created["reference"].lower(), "email": CITIZEN_EMAIL.upper()})
    assert page.status_code == 200
    assert created["reference"] in page.text
    assert "stage 1" in page.text
    assert "Customer Relations Team" in page.text
    assert "You can expect a response by" in page.text


def test_a_wrong_email_and_an_unknown_reference_read_the_same(client: TestClient, open_case: OpenCase) -> None:
    created = open_case()
    wrong_email = client.post("/status", data={"reference": created["reference"], "email": "x@example.org"})
    unknown = client.post("/status", data={"reference": "FB-0000-0000", "email": CITIZEN_EMAIL})
    assert wrong_email.status_code == unknown.status_code == 404
    assert NOT_FOUND in wrong_email.text
    assert wrong_email.text == unknown.text.replace('value="FB-0000-0000"', f'value="{created["reference"]}"')


def test_the_page_escapes_what_it_echoes(client: TestClient) -> None:
    page = client.post("/status", data={"reference": '"><script>x</script>', "email": "a@example.org"})
    assert "<script>x</script>" not in page.text
    assert "&lt;script&gt;" in page.text or "&#34;&gt;&lt;script" in page.text


def test_the_page_shares_the_lookup_limit(client: TestClient) -> None:
    codes = [
        client.post("/status", data={"reference": "FB-0000-0000", "email": "a@example.org"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [404] * 10
    assert codes[10] == 429


def test_missing_fields_are_a_clear_error(client: TestClient) -> None:
    response = client.post("/status", data={"reference": "FB-0000-0000"})
    assert response.status_code == 422
