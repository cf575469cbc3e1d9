"""Whatever a client sends, every endpoint answers with a clear 4xx and a JSON `detail`, never a 500.

Table-driven: each kind of bad input is sent to every endpoint, and every answer is checked; a failure lists
every endpoint and input that went wrong at once. Runs on SQLite and on PostgreSQL, which refuses NUL
characters and unpaired surrogates in text that SQLite would store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from api_support import (
    CHANNEL_TOKEN,
    CRT_MANAGER,
    CRT_OFFICER,
    CRT_OFFICER_2,
    Headers,
    OpenCase,
    StaffHeaders,
    case_body,
    complete_closing,
)
from fastapi.testclient import TestClient

from feedback.api.app import create_app
from feedback.application import Application

CLEAR_REFUSALS = {400, 401, 403, 404, 409, 413, 422, 429}  # 429: the citizen's status lookup limit
REASON = "The complainant asked for more time to send evidence."


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {ref} is replaced by the case's reference
    body: dict[str, Any] | None = None  # a valid body, which the tests spoil
    channel: bool = False  # called with the channel token rather than a staff token

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("POST", "/api/cases", case_body(subject="School place", urgent=False, anonymous=False), channel=True),
    Endpoint("GET", "/api/status/{ref}?email=jo.bloggs@example.org"),
    Endpoint("GET", "/api/cases?status=open&team=crt&needs_review=true&overdue=false&limit=5&offset=0"),
    Endpoint("GET", "/api/review-queue?limit=5&offset=0"),
    Endpoint("GET", "/api/cases/{ref}"),
    Endpoint("POST", "/api/cases/{ref}/acknowledge"),
    Endpoint("POST", "/api/cases/{ref}/assign", {"team": "crt", "staff_email": CRT_OFFICER, "reason": REASON}),
    Endpoint("POST", "/api/cases/{ref}/extend", {"working_days": 1, "reason": REASON}),
    Endpoint("POST", "/api/cases/{ref}/close", complete_closing(summary="Place offered on appeal.")),
    Endpoint("POST", "/api/cases/{ref}/reopen", {"reason": REASON}),
    Endpoint(
        "POST",
        "/api/cases/{ref}/escalate",
        {"requested_on": "2026-03-02", "reason": REASON, "handler_email": CRT_OFFICER_2},
    ),
    Endpoint("POST", "/api/cases/{ref}/procedure", {"procedure": "statutory", "reason": REASON}),
    Endpoint("POST", "/api/cases/{ref}/panel", {"on": "2026-03-02"}),
    Endpoint("POST", "/api/cases/{ref}/panel-report", {"on": "2026-03-02"}),
    Endpoint(
        "POST",
        "/api/cases/{ref}/messages",
        {"direction": "out", "channel": "email", "body": "Dear Jo, thank you.", "subject": "Your complaint"},
    ),
    Endpoint("POST", "/api/cases/{ref}/suggestions/service/review", {"accept": False, "label": "sendar"}),
]
WITH_BODY = [endpoint for endpoint in ENDPOINTS if endpoint.body is not None]

# Values of the wrong type (or absurd size) for any field.
WRONG_TYPES: list[Any] = [None, -1, 1.5, True, ["x"], {"$ne": 1}, "", 10**100, "9" * 5000]

# Strings a hostile or broken client might send in any text field.
HOSTILE_TEXT = [
    "Robert'); DROP TABLE cases;--",
    "' OR '1'='1",
    "%s %(x)s $1 ?",
    "nul \u0000 in the middle",
    "lone surrogate \ud800 here",
    "right-to-left \u202e override",
    "<script>alert(1)</script>",
    "x" * 10_000,
    "emoji 👩‍👩‍👧 and accents Siân",
]


@dataclass
class Outcome:
    endpoint: Endpoint
    sent: str
    response: httpx.Response


@pytest.fixture
def lenient(api_app: Application) -> Iterator[TestClient]:
    """A client that reports a server error as a 500 response (so one test can list every failure)."""
    with TestClient(create_app(api_app), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def reference(open_case: OpenCase) -> str:
    reference: str = open_case()["reference"]
    return reference


@pytest.fixture
def send(
    lenient: TestClient, as_staff: StaffHeaders, reference: str
) -> Callable[[Endpoint, str, dict[str, Any]], Outcome]:
    """Factory: send one request to an endpoint (as CRT staff, or as the channel) and keep the outcome."""
    staff_headers = as_staff(CRT_MANAGER)
    channel_headers: Headers = {"Authorization": f"Bearer {CHANNEL_TOKEN}"}

    def call(endpoint: Endpoint, sent: str, request: dict[str, Any]) -> Outcome:
        headers = {**(channel_headers if endpoint.channel else staff_headers), **request.pop("headers", {})}
        path = request.pop("path", endpoint.path).replace("{ref}", reference)
        if "json" in request:
            # Encoded here, as a client in another language might: httpx cannot encode a lone surrogate.
            request["content"] = json.dumps(request.pop("json")).encode()
            headers.setdefault("Content-Type", "application/json")
        response = lenient.request(endpoint.method, path, headers=headers, **request)
        return Outcome(endpoint, sent, response)

    return call


def problems(outcomes: Iterable[Outcome], allowed: set[int] = CLEAR_REFUSALS | {200, 201}) -> list[str]:
    """Every outcome that is not a clear answer: a 5xx, an unexpected status, or no JSON `detail` on a 4xx."""
    found = []
    for outcome in outcomes:
        status = outcome.response.status_code
        where = f"{outcome.endpoint} with {outcome.sent[:80]!r}: {status}"
        if status not in allowed:
            found.append(f"{where} {outcome.response.text[:200]}")
        elif status >= 400:
            try:
                detail = outcome.response.json()["detail"]
            except (ValueError, KeyError, TypeError):
                found.append(f"{where} without a JSON detail: {outcome.response.text[:200]}")
                continue
            if not detail:
                found.append(f"{where} with an empty detail")
    return found


def assert_clear(outcomes: Iterable[Outcome], allowed: set[int] = CLEAR_REFUSALS | {200, 201}) -> None:
    found = problems(outcomes, allowed)
    assert not found, f"{len(found)} unclear answer(s):\n" + "\n".join(found)


def spoil_each_field(body: dict[str, Any], values: Iterable[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The body with one field (nested ones too) replaced by each value in turn."""
    for field, original in body.items():
        for value in values:
            yield f"{field}={value!r}", {**body, field: value}
        if isinstance(original, dict):
            for inner, spoilt in spoil_each_field(original, values):
                yield f"{field}.{inner}", {**body, field: spoilt}
        if isinstance(original, list) and original:
            for value in values:
                yield f"{field}[0]={value!r}", {**body, field: [value, *original[1:]]}


def string_fields(body: dict[str, Any]) -> Iterator[tuple[str, Callable[[str], dict[str, Any]]]]:
    """(name, replace) for every text field of a body, nested and in lists too."""
    for field, original in body.items():
        if isinstance(original, str):
            yield field, lambda text, field=field: {**body, field: text}
        elif isinstance(original, dict):
            for inner, replace in string_fields(original):
                yield f"{field}.{inner}", lambda text, field=field, replace=replace: {**body, field: replace(text)}
        elif isinstance(original, list) and original and isinstance(original[0], str):
            yield f"{field}[]", lambda text, field=field, original=original: {**body, field: [text, *original[1:]]}


# --- bodies that are not what the endpoint takes ------------------------------------------------------------------


RAW_BODIES: list[tuple[str, bytes, str]] = [
    ("empty", b"", "application/json"),
    ("truncated", b'{"channel": "web_chat", "text": ', "application/json"),
    ("trailing comma", b'{"reason": "x",}', "application/json"),
    ("single quotes", b"{'reason': 'abc'}", "application/json"),
    ("null", b"null", "application/json"),
    ("array", b"[]", "application/json"),
    ("number", b"42", "application/json"),
    ("string", b'"hello"', "application/json"),
    ("NaN", b'{"working_days": NaN}', "application/json"),
    ("not utf-8", b'{"reason": "caf\xe9 \xff\xfe"}', "application/json"),
    ("utf-16 bom", '{"reason": "x"}'.encode("utf-16"), "application/json"),
    ("deep arrays", b"[" * 50_000 + b"]" * 50_000, "application/json"),
    ("deep objects", b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
    ("duplicate keys", b'{"reason": "a valid reason here", "reason": 5}', "application/json"),
    ("form encoded", b"reason=because+I+said+so", "application/x-www-form-urlencoded"),
    ("plain text", b"close this case please", "text/plain"),
    ("xml", b"<case><reason>x</reason></case>", "application/xml"),
    ("no content type", b'{"reason": "a valid reason here"}', ""),
]


def test_malformed_and_non_json_bodies_are_refused_clearly(send: Callable[..., Outcome]) -> None:
    outcomes = []
    for endpoint in WITH_BODY:
        for name, raw, content_type in RAW_BODIES:
            headers = {"Content-Type": content_type} if content_type else {}
            outcome = send(endpoint, name, {"content": raw, "headers": headers})
            outcomes.append(outcome)

    assert_clear(outcomes, allowed=CLEAR_REFUSALS)
    malformed = [o for o in outcomes if o.sent in ("truncated", "trailing comma", "single quotes")]
    assert {o.response.status_code for o in malformed} == {422}
    assert all("JSON decode error" in o.response.text for o in malformed)


def test_wrong_types_in_every_field_are_refused_or_harmless(send: Callable[..., Outcome]) -> None:
    outcomes = [
        send(endpoint, sent, {"json": spoilt})
        for endpoint in WITH_BODY
        for sent, spoilt in spoil_each_field(endpoint.body or {}, WRONG_TYPES)
    ]

    assert_clear(outcomes)


def test_wrong_types_name_the_field(send: Callable[..., Outcome]) -> None:
    extend = next(e for e in ENDPOINTS if e.path.endswith("/extend"))

    response = send(extend, "days", {"json": {"working_days": "a fortnight", "reason": REASON}}).response

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "working_days"]
    assert error["type"] == "int_parsing"


def test_unknown_fields_are_refused_and_named(send: Callable[..., Outcome]) -> None:
    for endpoint in WITH_BODY:
        body = {**(endpoint.body or {}), "reasson": "a typo of a real field"}

        response = send(endpoint, "typo", {"json": body}).response

        assert response.status_code == 422, endpoint
        errors = response.json()["detail"]
        assert {"type": "extra_forbidden", "loc": ["body", "reasson"]}.items() <= errors[0].items(), endpoint


def test_unknown_nested_contact_fields_are_refused(send: Callable[..., Outcome]) -> None:
    open_case = ENDPOINTS[0]
    body = {**(open_case.body or {}), "contact": {"email": "jo@example.org", "postcode": "CV34 4RL"}}

    response = send(open_case, "contact.postcode", {"json": body}).response

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "contact", "postcode"]


def test_missing_body_is_refused(send: Callable[..., Outcome]) -> None:
    for endpoint in WITH_BODY:
        response = send(endpoint, "no body", {}).response

        assert response.status_code == 422, endpoint
        assert response.json()["detail"][0]["type"] == "missing"


def test_hostile_strings_in_every_text_field_are_refused_or_stored_safely(send: Callable[..., Outcome]) -> None:
    outcomes = [
        send(endpoint, f"{field}={text[:40]!r}", {"json": replace(text)})
        for endpoint in WITH_BODY
        for field, replace in string_fields(endpoint.body or {})
        for text in HOSTILE_TEXT
    ]

    assert_clear(outcomes)


def test_nul_characters_and_broken_unicode_are_refused_with_a_422_naming_the_field(
    send: Callable[..., Outcome],
) -> None:
    """PostgreSQL cannot store NUL in text, nor a lone surrogate in UTF-8: the API refuses both up front,
    on every database, rather than storing them in SQLite and failing with a 500 on PostgreSQL."""
    for endpoint in WITH_BODY:
        for field, replace in string_fields(endpoint.body or {}):
            if field.endswith("email"):
                continue  # not an email address at all: refused by the email check
            for text in ("nul \u0000 byte", "lone \ud800 surrogate"):
                response = send(endpoint, field, {"json": replace(text)}).response

                assert response.status_code == 422, (str(endpoint), field, text)
                locations = [error["loc"][1:] for error in response.json()["detail"]]
                assert field.replace("[]", "").split(".")[0] in {str(loc[0]) for loc in locations}, locations


def test_oversized_text_is_refused(send: Callable[..., Outcome]) -> None:
    open_case, messages = ENDPOINTS[0], next(e for e in ENDPOINTS if e.path.endswith("/messages"))

    for endpoint, field in ((open_case, "text"), (messages, "body")):
        at_limit = send(endpoint, "100000", {"json": {**(endpoint.body or {}), field: "x" * 100_000}}).response
        over = send(endpoint, "100001", {"json": {**(endpoint.body or {}), field: "x" * 100_001}}).response

        assert at_limit.status_code in (200, 201), at_limit.text[:300]
        assert over.status_code == 422
        assert over.json()["detail"][0]["loc"] == ["body", field]
        assert over.json()["detail"][0]["type"] == "string_too_long"


def test_empty_and_blank_text_is_refused(send: Callable[..., Outcome]) -> None:
    open_case = ENDPOINTS[0]
    for text in ("", " ", "\n\t  \r\n"):
        response = send(open_case, repr(text), {"json": {**(open_case.body or {}), "text": text}}).response

        assert response.status_code == 422, repr(text)
        assert response.json()["detail"][0]["loc"] == ["body", "text"]


# --- bodies that are too big --------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_by_its_content_length(send: Callable[..., Outcome]) -> None:
    too_big = b'{"text": "' + b"x" * 260_000 + b'"}'  # web.max_body_bytes is 256000 in config.yml

    for endpoint in WITH_BODY:
        response = send(endpoint, "big", {"content": too_big, "headers": {"Content-Type": "application/json"}})

        assert response.response.status_code == 413, endpoint
        assert response.response.json() == {"detail": "request body larger than 256000 bytes"}


def test_a_chunked_body_over_the_limit_is_refused_with_413(send: Callable[..., Outcome]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    for endpoint in WITH_BODY:
        outcome = send(endpoint, "chunked", {"content": chunks(), "headers": {"Content-Type": "application/json"}})

        assert "content-length" not in outcome.response.request.headers
        assert outcome.response.request.headers["transfer-encoding"] == "chunked"
        assert outcome.response.status_code == 413, (str(endpoint), outcome.response.text[:200])
        assert outcome.response.json() == {"detail": "request body larger than 256000 bytes"}


def test_a_chunked_body_under_the_limit_is_accepted(send: Callable[..., Outcome]) -> None:
    body = json.dumps(ENDPOINTS[0].body).encode()

    headers = {"Content-Type": "application/json"}
    outcome = send(ENDPOINTS[0], "chunked", {"content": iter([body[:10], body[10:]]), "headers": headers})

    assert outcome.response.status_code == 201, outcome.response.text


def test_a_false_content_length_is_refused(send: Callable[..., Outcome]) -> None:
    for declared in ("abc", "-1", "1e9", "99999999999999999999"):
        outcome = send(ENDPOINTS[0], declared, {"content": b"{}", "headers": {"Content-Length": declared}})
        assert outcome.response.status_code in (400, 413), declared


def test_the_limit_comes_from_the_settings(build_app: Callable[..., Application], reference: str) -> None:
    with TestClient(create_app(build_app(max_body_bytes=1_000))) as small:
        response = small.post(
            "/api/cases",
            json=case_body(text="x" * 2_000),
            headers={"Authorization": f"Bearer {CHANNEL_TOKEN}"},
        )

    assert response.status_code == 413
    assert response.json() == {"detail": "request body larger than 1000 bytes"}


# --- paths, queries and headers -----------------------------------------------------------------------------------

BAD_REFERENCES = [
    "x",
    "FB-0000-000",
    "FB-0000-0000",
    "fb 0000 0000",
    "' OR 1=1 --",
    "%00",
    "FB%00-0000-0000",
    "%F0%9F%92%A9",
    "%C3%28",  # an invalid UTF-8 sequence
    "%ED%A0%80",  # an encoded surrogate
    "..%2F..%2Fetc%2Fpasswd",
    "a" * 40,
    "a" * 41,
    "F" * 5_000,
    "%20",
]


def test_bad_references_in_paths_are_clear_refusals(send: Callable[..., Outcome]) -> None:
    outcomes = []
    for endpoint in ENDPOINTS:
        if "{ref}" not in endpoint.path:
            continue
        for bad in BAD_REFERENCES:
            path = endpoint.path.replace("{ref}", bad)
            outcomes.append(send(endpoint, bad, {"path": path, "json": endpoint.body}))

    assert_clear(outcomes, allowed=CLEAR_REFUSALS)


def test_a_very_long_reference_is_a_422_not_a_lookup(send: Callable[..., Outcome]) -> None:
    for endpoint in (ENDPOINTS[1], ENDPOINTS[4]):
        response = send(endpoint, "long", {"path": endpoint.path.replace("{ref}", "F" * 5_000)}).response

        assert response.status_code == 422, endpoint
        assert response.json()["detail"][0]["loc"] == ["path", "reference"]


BAD_QUERIES = [
    "limit=0",
    "limit=-1",
    "limit=501",
    "limit=99999999999999999999999999999",
    "limit=1e3",
    "limit=ten",
    "offset=-1",
    "offset=99999999999999999999999999999",
    "offset=9223372036854775808",
    "offset=1e100",
    "status=pending",
    "status=open%00",
    "needs_review=perhaps",
    "overdue=2",
    "team=%00",
    "team=crt%00",
    "team=' OR '1'='1",
    "team=" + "t" * 41,
    "team=%ED%A0%80",
    "team=%F0%9F%92%A9",
    "limit=5&limit=6",
]


def test_bad_list_queries_are_clear_refusals(send: Callable[..., Outcome]) -> None:
    list_cases, review_queue = ENDPOINTS[2], ENDPOINTS[3]
    outcomes = [
        send(endpoint, query, {"path": endpoint.path.split("?")[0] + "?" + query})
        for endpoint in (list_cases, review_queue)
        for query in BAD_QUERIES
    ]

    assert_clear(outcomes)


def test_huge_limits_are_refused_not_obeyed(send: Callable[..., Outcome]) -> None:
    list_cases = ENDPOINTS[2]
    for query in ("limit=501", "limit=10000000000", "limit=99999999999999999999999999999"):
        response = send(list_cases, query, {"path": f"/api/cases?{query}"}).response

        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_bad_status_queries_are_clear_refusals(send: Callable[..., Outcome], reference: str) -> None:
    status_endpoint = ENDPOINTS[1]
    emails = ["", "a", "x" * 300, "%00", "jo%00@example.org", "%ED%A0%80@example.org", "' OR 1=1 --", "🙂@example.org"]
    outcomes = [send(status_endpoint, email, {"path": f"/api/status/{reference}?email={email}"}) for email in emails]
    outcomes.append(send(status_endpoint, "no email", {"path": f"/api/status/{reference}"}))
    outcomes.append(send(status_endpoint, "two emails", {"path": f"/api/status/{reference}?email=a@b.c&email=d@e.f"}))

    assert_clear(outcomes, allowed=CLEAR_REFUSALS)


def test_odd_authorization_headers_are_a_401(send: Callable[..., Outcome]) -> None:
    odd: list[dict[str, Any]] = [
        {"Authorization": b"Bearer caf\xe9"},
        {"Authorization": "Bearer " + "\t" * 10},
        {"Authorization": "Bearer a b c"},
        {"Authorization": "bearer " + CHANNEL_TOKEN[:10]},
        {"Authorization": "Bearer " + "x" * 20_000},
        {"Authorization": "Bearer ' OR '1'='1"},
    ]
    outcomes = [
        send(endpoint, str(headers)[:60], {"headers": headers, "json": endpoint.body})
        for endpoint in ENDPOINTS
        if not endpoint.path.startswith("/api/status")
        for headers in odd
    ]

    assert_clear(outcomes, allowed={401})


def test_unknown_paths_and_methods_are_clear(lenient: TestClient, as_staff: StaffHeaders, reference: str) -> None:
    headers = as_staff(CRT_MANAGER)
    assert lenient.get("/api/nothing-here", headers=headers).status_code == 404
    assert lenient.post(f"/api/cases/{reference}/delete", headers=headers).status_code == 404
    assert lenient.delete(f"/api/cases/{reference}", headers=headers).status_code == 405
    assert lenient.put("/api/cases", headers=headers, json={}).status_code == 405
    for response in (
        lenient.get("/api/nothing-here", headers=headers),
        lenient.delete(f"/api/cases/{reference}", headers=headers),
    ):
        assert response.json()["detail"]


def test_dates_outside_the_known_calendar_are_refused(send: Callable[..., Outcome], as_staff: StaffHeaders) -> None:
    close, escalate = (next(e for e in ENDPOINTS if e.path.endswith(end)) for end in ("/close", "/escalate"))
    assert send(close, "close", {"json": close.body}).response.status_code == 200

    for requested_on in ("1999-12-31", "0001-01-01", "2026-02-30", "02/03/2026", "yesterday", 20260302):
        body = {**(escalate.body or {}), "requested_on": requested_on}

        response = send(escalate, str(requested_on), {"json": body}).response

        assert response.status_code == 422, (requested_on, response.text[:300])
        assert response.json()["detail"]
