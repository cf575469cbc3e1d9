"""Cases opened through the API are classified afterwards by the real worker with real (tiny) trained models.

Each test runs on SQLite and PostgreSQL: suggestions stored with the model version, the safeguarding rule
(urgent, to Children's Initial Response, the team alerted without the text), the area gazetteer, review
thresholds, and a worker without models leaving cases safely waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import CHANNEL_TOKEN, CRT_MANAGER, ClockLike, Headers, case_body
from fastapi.testclient import TestClient
from sqlalchemy import select

from classifiers.paths import BuildPaths
from feedback.api.app import create_app
from feedback.application import Application
from feedback.classification import ClassificationWorker
from store.db import transaction
from store.labels import HEADS
from store.models import AuditEvent, Case, OutboxMessage, Suggestion

SAFEGUARDING_TEXT = "my neighbours little boy has bruises on his face again and says he is scared to go home"


@pytest.fixture
def classified_app(app: Application, clock: ClockLike, tiny_build: BuildPaths) -> Callable[..., Application]:
    """Factory: the application with a channel token and the tiny models (or other classifier settings)."""

    def build(**classifier_settings: Any) -> Application:
        classifiers = app.settings.classifiers.model_copy(
            update={"models_dir": tiny_build.models, **classifier_settings}
        )
        web = app.settings.web.model_copy(update={"channel_tokens": (CHANNEL_TOKEN,)})
        settings = app.settings.model_copy(update={"classifiers": classifiers, "web": web})
        return Application.build(settings, now=clock, engine=app.engine)

    return build


@pytest.fixture
def api_app(classified_app: Callable[..., Application]) -> Application:
    return classified_app()


@pytest.fixture
def client(api_app: Application) -> Iterator[TestClient]:
    with TestClient(create_app(api_app)) as test_client:
        yield test_client


def _open(client: TestClient, channel: Headers, **overrides: Any) -> str:
    response = client.post("/api/cases", json=case_body(**overrides), headers=channel)
    assert response.status_code == 201, response.text
    reference: str = response.json()["reference"]
    return reference


def _case(api_app: Application, reference: str) -> Case:
    with transaction(api_app.sessions) as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        assert case is not None
        session.expunge(case)
        return case


def _detail(client: TestClient, as_staff: Callable[[str], Headers], reference: str) -> dict[str, Any]:
    response = client.get(f"/api/cases/{reference}", headers=as_staff(CRT_MANAGER))
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def test_a_new_case_is_answered_first_and_classified_after(
    client: TestClient, api_app: Application, channel: Headers, as_staff: Callable[[str], Headers]
) -> None:
    reference = _open(client, channel, text="the school bus did not turn up this morning and nobody rang")
    assert api_app.cases_waiting.is_set()  # the worker is woken, not waited for
    before = _detail(client, as_staff, reference)
    assert before["suggestions"] == [] and before["classified"] is False

    assert ClassificationWorker(api_app).drain() == 1
    after = _detail(client, as_staff, reference)
    assert after["classified"] is True
    assert {s["head"] for s in after["suggestions"]} == set(HEADS)
    for suggestion in after["suggestions"]:
        assert suggestion["label"] in HEADS[suggestion["head"]]
        assert 0.0 <= suggestion["score"] <= 1.0
        assert suggestion["model_version"].startswith("feedback-")
        assert suggestion["review"] == "pending"
        assert isinstance(suggestion["needs_review"], bool)
    assert after["needs_review"] is True
    # Classified once: a second pass finds nothing and stores nothing more.
    assert ClassificationWorker(api_app).drain() == 0
    assert len(_detail(client, as_staff, reference)["suggestions"]) == 3


def test_many_cases_are_classified_in_batches(client: TestClient, api_app: Application, channel: Headers) -> None:
    references = [_open(client, channel, text=f"question number {n} about the 11 plus test date") for n in range(5)]
    worker = ClassificationWorker(api_app, batch_size=2)
    assert worker.run_once() == 2
    assert worker.drain() == 3
    with transaction(api_app.sessions) as session:
        counts = {
            ref: len(session.scalars(select(Suggestion).join(Case).where(Case.reference == ref)).all())
            for ref in references
        }
    assert counts == dict.fromkeys(references, 3)


def test_safeguarding_text_goes_to_initial_response_at_once_with_an_alert(
    client: TestClient, api_app: Application, channel: Headers
) -> None:
    reference = _open(client, channel, text=SAFEGUARDING_TEXT, service=None, type=None)
    ClassificationWorker(api_app).drain()

    case = _case(api_app, reference)
    assert case.urgent is True
    assert case.service == "childrens_initial_response"
    assert case.owner_team_id == "childrens_initial_response"
    with transaction(api_app.sessions) as session:
        alerts = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "urgent")).all()
        assert len(alerts) == 1
        assert alerts[0].to_address == "cir@council.example"
        assert reference in alerts[0].subject and "URGENT" in alerts[0].subject
        assert "bruises" not in alerts[0].body_text  # a notice, never the child's details
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.urgent")).one()
        assert "bruises" in str(audit.detail) and "scared to go home" in str(audit.detail)


def test_a_case_opened_as_urgent_is_routed_even_without_the_phrases(
    client: TestClient, api_app: Application, channel: Headers
) -> None:
    reference = _open(client, channel, text="please can someone call me today about my granddaughter", urgent=True)
    ClassificationWorker(api_app).drain()
    case = _case(api_app, reference)
    assert case.urgent is True and case.owner_team_id == "childrens_initial_response"


def test_ordinary_text_stays_with_the_crt_for_review(
    client: TestClient, api_app: Application, channel: Headers
) -> None:
    reference = _open(client, channel, text="thank you to the admissions team for explaining the waiting list")
    ClassificationWorker(api_app).drain()
    case = _case(api_app, reference)
    assert case.urgent is False and case.owner_team_id == "crt"
    with transaction(api_app.sessions) as session:
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "urgent")).all() == []


@pytest.mark.parametrize(
    ("text", "team"),
    [
        ("our social worker in Nuneaton has not visited since the child protection conference", "ct_nuneaton_bedworth"),
        ("the child in need meeting in Leamington Spa was cancelled again", "ct_warwick"),
        ("our social worker has not visited since the child protection conference", "crt"),
    ],
)
def test_childrens_team_goes_to_the_area_the_text_names(
    client: TestClient,
    api_app: Application,
    channel: Headers,
    as_staff: Callable[[str], Headers],
    text: str,
    team: str,
) -> None:
    reference = _open(client, channel, text=text, service=None)
    ClassificationWorker(api_app).drain()
    response = client.post(
        f"/api/cases/{reference}/suggestions/service/review",
        json={"accept": False, "label": "childrens_team"}
        if _pending_label(api_app, reference, "service") != "childrens_team"
        else {"accept": True},
        headers=as_staff(CRT_MANAGER),
    )
    assert response.status_code == 200, response.text
    assert response.json()["team"] == team
    assert response.json()["service"] == "childrens_team"


def _pending_label(api_app: Application, reference: str, head: str) -> str:
    with transaction(api_app.sessions) as session:
        return session.scalars(
            select(Suggestion.label).join(Case).where(Case.reference == reference, Suggestion.head == head)
        ).one()


@pytest.mark.parametrize(("threshold", "low"), [(1.0, True), (0.0, False)])
def test_a_score_below_the_threshold_marks_the_case_low_confidence(
    classified_app: Callable[..., Application],
    channel: Headers,
    as_staff: Callable[[str], Headers],
    threshold: float,
    low: bool,
) -> None:
    strict = classified_app(thresholds=dict.fromkeys(HEADS, threshold))
    with TestClient(create_app(strict)) as client:
        reference = _open(client, channel, text="why has my sons ehcp annual review not happened")
        ClassificationWorker(strict).drain()
        detail = _detail(client, as_staff, reference)
        assert detail["low_confidence"] is low
        assert all(s["needs_review"] is low for s in detail["suggestions"] if s["score"] < 1.0)
        queue = client.get("/api/review-queue?low_confidence=true", headers=as_staff(CRT_MANAGER)).json()
        assert (reference in [c["reference"] for c in queue["cases"]]) is low


def test_without_models_cases_wait_and_are_classified_once_the_models_exist(
    classified_app: Callable[..., Application], channel: Headers, tmp_path: Path, tiny_build: BuildPaths
) -> None:
    unbuilt = classified_app(models_dir=tmp_path / "no-models")
    with TestClient(create_app(unbuilt)) as client:
        reference = _open(client, channel, text="the transport form on the website does not work")
    assert ClassificationWorker(unbuilt).drain() == 0
    assert _case(unbuilt, reference).classified_at is None

    built = classified_app()
    assert ClassificationWorker(built).drain() == 1
    assert _case(built, reference).classified_at is not None
