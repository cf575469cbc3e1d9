"""The CRT's view of received mail: quarantined messages listed without personal data, and re-processed."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from feedback.application import Application
from store.db import transaction
from store.mailbox import accept, claim_next, record_failure
from store.models import AuditEvent, InboundMail

Headers = dict[str, str]


def quarantined_message(app: Application) -> int:
    with transaction(app.sessions) as session:
        accept(
            session,
            b"not an email",
            envelope_sender="x@example.org",
            recipients=["feedback@council.example"],
            at=app.service.now(),
        )
    with transaction(app.sessions) as session:
        mail = claim_next(session)
        assert mail is not None
        record_failure(session, mail.id, "unparseable: the message has no headers", permanent=True)
        return mail.id


def test_the_crt_sees_quarantined_mail_without_senders_or_bodies(
    app: Application, client: TestClient, as_staff: Callable[[str], Headers]
) -> None:
    mail_id = quarantined_message(app)
    response = client.get("/api/mail", headers=as_staff("sam.patel@council.example"))
    assert response.status_code == 200
    [listed] = response.json()
    assert (listed["id"], listed["status"], listed["last_error"]) == (
        mail_id,
        "quarantined",
        "unparseable: the message has no headers",
    )
    assert "x@example.org" not in response.text and "not an email" not in response.text


def test_requeueing_puts_it_back_and_is_audited(
    app: Application, client: TestClient, as_staff: Callable[[str], Headers]
) -> None:
    mail_id = quarantined_message(app)
    response = client.post(f"/api/mail/{mail_id}/requeue", headers=as_staff("sam.patel@council.example"))
    assert (response.status_code, response.json()["status"]) == (200, "received")
    with transaction(app.sessions) as session:
        assert session.get(InboundMail, mail_id).status == "received"  # type: ignore[union-attr]
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "mail.requeued")).all() == [
            "mail.requeued"
        ]
    again = client.post(f"/api/mail/{mail_id}/requeue", headers=as_staff("sam.patel@council.example"))
    assert again.status_code == 404  # no longer quarantined


def test_only_the_crt_may_see_or_requeue_mail(
    app: Application, client: TestClient, as_staff: Callable[[str], Headers]
) -> None:
    mail_id = quarantined_message(app)
    team = as_staff("lee.khan@council.example")
    assert client.get("/api/mail", headers=team).status_code == 403
    assert client.post(f"/api/mail/{mail_id}/requeue", headers=team).status_code == 403
    assert client.get("/api/mail").status_code == 401


def test_bad_mail_queries_are_clear_errors(client: TestClient, as_staff: Callable[[str], Headers]) -> None:
    crt = as_staff("sam.patel@council.example")
    assert client.get("/api/mail", params={"status": "lost"}, headers=crt).status_code == 422
    assert client.get("/api/mail", params={"limit": 10**9}, headers=crt).status_code == 422
    assert client.post("/api/mail/0/requeue", headers=crt).status_code == 422
    assert client.post("/api/mail/99999999999999/requeue", headers=crt).status_code == 422
    assert client.post("/api/mail/12345/requeue", headers=crt).status_code == 404
