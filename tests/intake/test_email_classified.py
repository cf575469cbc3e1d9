"""An email sent over SMTP is acknowledged first and classified after, by the real worker and (tiny) models."""

from __future__ import annotations

from mail_support import Send, email_from
from sqlalchemy import select

from classifiers.paths import BuildPaths
from feedback.application import Application
from feedback.classification import ClassificationWorker
from intake.worker import MailWorker
from store.db import transaction
from store.labels import HEADS
from store.models import Case, OutboxMessage, Suggestion


def test_an_email_is_acknowledged_then_classified_and_a_child_at_risk_routed_urgently(
    app: Application, send: Send, tiny_build: BuildPaths
) -> None:
    classifiers = app.settings.classifiers.model_copy(update={"models_dir": tiny_build.models})
    app = Application.build(
        app.settings.model_copy(update={"classifiers": classifiers}), now=app.service.now, engine=app.engine
    )
    send(
        email_from(
            subject="worried about my niece in Bedworth",
            body="My niece is 9. She has bruises on her arms and told her teacher she is scared to go home.",
        )
    )
    assert MailWorker(app.sessions, app.mail_processor(), on_processed=app.cases_waiting.set).drain() == 1
    assert app.cases_waiting.is_set()
    with transaction(app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert case.classified_at is None and case.owner_team_id == "crt"
        [ack] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")).all()
        assert case.reference in ack.subject  # answered before any model has run

    assert ClassificationWorker(app).drain() == 1
    with transaction(app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert case.urgent and case.owner_team_id == "childrens_initial_response"
        assert case.area_team_id == "ct_nuneaton_bedworth"
        heads = session.scalars(select(Suggestion.head).where(Suggestion.case_id == case.id)).all()
        assert sorted(heads) == sorted(HEADS)
        [alert] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "urgent")).all()
        assert alert.to_address == "cir@council.example" and "bruises" not in alert.body_text
