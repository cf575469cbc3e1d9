"""GET /api/procedures/{procedure}: the procedures in plain words, from the configured timescales.

The chat assistant explains them from here (it runs in its own Python 3.10 environment and cannot import
intake.replies), so these tests pin that the words follow config.yml and match the acknowledgement email.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from feedback.api.app import create_app
from feedback.application import Application
from intake.replies import AckFacts, next_steps


def test_the_statutory_procedure_names_its_three_stages_and_their_limits(client: TestClient) -> None:
    guide = client.get("/api/procedures/statutory").json()
    overview = " ".join(guide["overview"])
    assert guide["procedure"] == "statutory" and "set by law" in overview
    assert "within 10 working days (up to 20" in overview and "within 25 working days (up to 65" in overview
    assert "panel reviews your complaint within 30 working days" in overview and "Ombudsman" in overview


def test_the_first_steps_are_the_acknowledgement_emails_own(client: TestClient, api_app: Application) -> None:
    for procedure, case_type in (("corporate", "complaint"), ("statutory", "complaint"), ("feedback", "question")):
        facts = AckFacts(
            reference="", case_type=case_type, procedure=procedure, stage=1, due_on=None, contact_name=None
        )
        guide = client.get(f"/api/procedures/{procedure}", params={"type": case_type}).json()
        assert guide["first_steps"] == next_steps(facts, api_app.settings.procedures)


def test_a_compliment_is_passed_on_rather_than_promised_a_reply(client: TestClient) -> None:
    steps = client.get("/api/procedures/feedback", params={"type": "compliment"}).json()["first_steps"]
    assert steps == ["We are glad to hear it, and will pass your compliment on to the team it is about."]


def test_the_words_follow_the_configured_timescales(api_app: Application) -> None:
    policy = api_app.settings.procedures
    corporate = policy.corporate.model_copy(
        update={"stage1": policy.corporate.stage1.model_copy(update={"acknowledge_days": 3, "response_days": 15})}
    )
    settings = api_app.settings.model_copy(update={"procedures": policy.model_copy(update={"corporate": corporate})})
    slower = Application.build(settings, now=api_app.service.now, engine=api_app.engine)
    with TestClient(create_app(slower)) as client:
        overview = " ".join(client.get("/api/procedures/corporate").json()["overview"])
    assert "acknowledge your complaint within 3 working days" in overview and "within 15 working days" in overview


def test_an_unknown_procedure_or_type_is_a_422_not_a_guess(client: TestClient) -> None:
    assert client.get("/api/procedures/informal").status_code == 422
    assert client.get("/api/procedures/feedback", params={"type": "rant"}).status_code == 422
