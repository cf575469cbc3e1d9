"""From an email over SMTP to a case: new cases, acknowledgements, threading, robots and quarantine."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from mail_support import Send, email_from, free_port
from sqlalchemy import select

from feedback.application import Application
from intake.outbound import OutboxSender
from intake.sink import MailSink
from intake.worker import MailWorker
from store.actors import Actor
from store.db import transaction
from store.mailbox import requeue
from store.models import AuditEvent, Case, Contact, InboundMail, Message, OutboxMessage, StoredAttachment
from store.service import Closing


def cases(app: Application) -> list[Case]:
    with transaction(app.sessions) as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def outbox(app: Application, kind: str | None = None) -> list[OutboxMessage]:
    with transaction(app.sessions) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.scalars(query))


def inbound(app: Application) -> list[InboundMail]:
    with transaction(app.sessions) as session:
        return list(session.scalars(select(InboundMail).order_by(InboundMail.id)))


def messages_of(app: Application, case_id: int) -> list[Message]:
    with transaction(app.sessions) as session:
        return list(session.scalars(select(Message).where(Message.case_id == case_id).order_by(Message.id)))


def test_an_email_from_a_person_becomes_a_case_with_an_acknowledgement(
    app: Application, send: Send, worker: MailWorker
) -> None:
    send(email_from(name="Sam Parent"))
    assert worker.drain() == 1
    [case] = cases(app)
    assert (case.channel, case.type, case.status, case.needs_review) == ("email", "complaint", "open", True)
    [message] = messages_of(app, case.id)
    assert message.body.startswith("I applied in March")
    assert message.inbound_mail_id == inbound(app)[0].id
    with transaction(app.sessions) as session:
        contact = session.scalars(select(Contact)).one()
    assert (contact.name, contact.email) == ("Sam Parent", "parent@example.org")
    [ack] = outbox(app, "acknowledgement")
    assert ack.to_address == "parent@example.org"
    assert case.reference in ack.subject
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert inbound(app)[0].status == "processed"


def test_the_worker_makes_each_email_a_case_once(app: Application, send: Send, worker: MailWorker) -> None:
    send(email_from())
    worker.drain()
    assert worker.drain() == 0
    assert len(cases(app)) == 1


def test_a_reply_to_our_acknowledgement_is_threaded_and_the_owner_told(
    app: Application, send: Send, worker: MailWorker
) -> None:
    send(email_from())
    worker.drain()
    [ack] = outbox(app, "acknowledgement")
    send(email_from(subject="Re: something else entirely", body="Any news?", headers={"In-Reply-To": ack.message_id}))
    worker.drain()
    [case] = cases(app)
    assert [m.body for m in messages_of(app, case.id)][-1] == "Any news?"
    [notification] = outbox(app, "notification")
    assert notification.to_address == "customerrelations@council.example"  # new cases sit with the CRT
    assert case.reference in notification.subject + notification.body_text
    assert "Any news?" not in notification.body_text  # staff mailboxes get no message bodies
    assert len(outbox(app, "acknowledgement")) == 1  # replies are not acknowledged again


def test_a_reference_quoted_in_the_subject_threads_the_email(app: Application, send: Send, worker: MailWorker) -> None:
    send(email_from())
    worker.drain()
    [case] = cases(app)
    send(email_from(subject=f"RE: [{case.reference.lower()}] my complaint", body="More details."))
    worker.drain()
    assert len(cases(app)) == 1
    assert len(messages_of(app, case.id)) == 2


def test_a_new_subject_from_the_same_person_is_a_new_case_for_the_same_contact(
    app: Application, send: Send, worker: MailWorker
) -> None:
    send(email_from(subject="School transport"))
    send(email_from(subject="EHCP review", sender="Parent@Example.org"))
    worker.drain()
    first, second = cases(app)
    assert first.contact_id == second.contact_id
    assert first.reference != second.reference


def test_a_reply_from_someone_else_quoting_the_reference_is_kept_but_flagged(
    app: Application, send: Send, worker: MailWorker
) -> None:
    send(email_from())
    worker.drain()
    [case] = cases(app)
    with transaction(app.sessions) as session:
        session.get(Case, case.id).needs_review = False  # type: ignore[union-attr]
    send(email_from(sender="stranger@example.com", subject=f"Re: {case.reference}", body="I know about this."))
    worker.drain()
    [case] = cases(app)
    assert case.needs_review
    with transaction(app.sessions) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "message.from_other_sender" in actions


def test_a_reply_to_a_closed_case_is_recorded_and_flagged_for_review(
    app: Application, send: Send, worker: MailWorker, staff
) -> None:
    send(email_from())
    worker.drain()
    [case] = cases(app)
    crt = staff("sam.patel@council.example")
    with transaction(app.sessions) as session:
        found = session.get(Case, case.id)
        assert found is not None
        app.service.close(
            session,
            found,
            crt,
            Closing(
                outcome="not_upheld",
                remedies=("explanation_provided",),
                lessons_learned="Explained the policy.",
                lesson_theme="communication",
            ),
        )
        found.needs_review = False
    send(email_from(subject=f"Re: [{case.reference}]", body="I want to take this to stage 2."))
    worker.drain()
    [case] = cases(app)
    assert (case.status, case.needs_review) == ("closed", True)
    assert "closed case" in outbox(app, "notification")[-1].body_text


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"Auto-Submitted": "auto-replied"}, "parent@example.org"),
        ({"Precedence": "bulk"}, "parent@example.org"),
        ({"List-Id": "<news.example.org>"}, "news@example.org"),
        ({}, "MAILER-DAEMON@mx.example.org"),
        ({}, "noreply@example.org"),
    ],
)
def test_robot_mail_for_no_case_is_kept_but_never_answered(
    app: Application, send: Send, worker: MailWorker, headers: dict[str, str], sender: str
) -> None:
    send(email_from(sender=sender, headers=headers), sender=sender)
    worker.drain()
    assert cases(app) == []
    assert outbox(app) == []
    [kept] = inbound(app)
    assert kept.status == "ignored"


def test_an_empty_return_path_is_a_robot(app: Application, send: Send, worker: MailWorker) -> None:
    send(email_from(), sender="")
    worker.drain()
    assert outbox(app) == []


def test_an_out_of_office_reply_to_our_acknowledgement_joins_the_case_unanswered(
    app: Application, send: Send, worker: MailWorker
) -> None:
    send(email_from())
    worker.drain()
    [ack] = outbox(app, "acknowledgement")
    send(
        email_from(
            subject="Out of office",
            body="I am away.",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": ack.message_id},
        )
    )
    worker.drain()
    [case] = cases(app)
    assert len(messages_of(app, case.id)) == 2
    assert len(outbox(app, "acknowledgement")) == 1


def test_acknowledgements_to_one_address_are_capped_per_hour(app: Application, send: Send, worker: MailWorker) -> None:
    """Two auto-responders must not loop: after the hourly limit, new cases are opened but not acknowledged."""
    limit = app.settings.mail.acknowledgements_per_hour
    for number in range(limit + 2):
        send(email_from(subject=f"Complaint number {number}"))
    worker.drain()
    assert len(cases(app)) == limit + 2
    assert len(outbox(app, "acknowledgement")) == limit


def test_our_own_mail_coming_back_is_ignored(app: Application, send: Send, worker: MailWorker, tmp_path) -> None:
    """Our acknowledgement, exactly as the relay received it, arriving back at the feedback address."""
    send(email_from())
    worker.drain()
    relay = free_port()
    mail = app.settings.mail.model_copy(update={"relay": app.settings.mail.relay.model_copy(update={"port": relay})})
    sink = MailSink(tmp_path / "sent", port=relay)
    sink.start()
    try:
        assert OutboxSender(app.sessions, mail, now=app.service.now).send_due() == 1
        [sent] = sink.messages()
    finally:
        sink.stop()
    send(sent.raw(), sender=app.settings.mail.from_address)
    worker.drain()
    assert inbound(app)[-1].status == "ignored"
    assert len(cases(app)) == 1
    assert len(outbox(app)) == 1


def test_attachments_are_kept_within_limits(app: Application, send: Send, worker: MailWorker) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "parent@example.org"
    message["Subject"] = "Letter attached"
    message.set_content("Please see the attached letter.")
    message.add_attachment(b"%PDF-1.4 letter", maintype="application", subtype="pdf", filename="letter.pdf")
    message.add_attachment(b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename="../../run.exe")
    send(message.as_bytes())
    worker.drain()
    with transaction(app.sessions) as session:
        kept = {a.filename: a for a in session.scalars(select(StoredAttachment))}
    assert kept["letter.pdf"].data == b"%PDF-1.4 letter"
    assert kept["run.exe"].data is None
    assert kept["run.exe"].refused_because == "a type that could run as a program"


def test_a_message_that_cannot_be_parsed_is_quarantined_and_can_be_requeued(
    app: Application, send: Send, worker: MailWorker
) -> None:
    send(b"\r\n\r\njust some words without any headers\r\n")
    worker.drain()
    [kept] = inbound(app)
    assert kept.status == "quarantined"
    assert kept.last_error is not None and "unparseable" in kept.last_error
    assert cases(app) == []
    with transaction(app.sessions) as session:
        requeue(session, kept.id, Actor.system("test"))
    worker.drain()
    assert inbound(app)[0].status == "quarantined"  # still unreadable, still kept


def test_a_failure_while_processing_is_retried_then_quarantined_and_requeued_once_fixed(
    app: Application, send: Send, worker: MailWorker, clock
) -> None:
    """A real failure: mail arriving after the last year whose bank holidays we trust cannot get a deadline."""
    clock.set(datetime(2031, 1, 6, 10, 0, tzinfo=UTC))
    send(email_from())
    worker.drain()
    [kept] = inbound(app)
    assert (kept.status, kept.attempts) == ("quarantined", 5)
    assert kept.last_error is not None and "known_until_year" in kept.last_error
    assert cases(app) == []
    # Staff extend the calendar (here: a service whose calendar knows 2031) and put the message back.
    longer = app.settings.model_copy(
        update={"calendar": app.settings.calendar.model_copy(update={"known_until_year": 2031})}
    )
    fixed = Application.build(longer, now=clock, engine=app.engine)
    with transaction(app.sessions) as session:
        requeue(session, kept.id, Actor.system("test"))
    MailWorker(fixed.sessions, fixed.mail_processor()).drain()
    [case] = cases(app)
    assert case.received_at == datetime(2031, 1, 6, 10, 0, tzinfo=UTC)


def test_the_due_date_counts_from_when_the_email_arrived(
    app: Application, send: Send, worker: MailWorker, clock
) -> None:
    send(email_from())  # Monday 2 March 2026
    clock.advance(days=3)
    worker.drain()
    [case] = cases(app)
    assert case.received_at.date() == date(2026, 3, 2)
    # Corporate: acknowledge by Mon 9 March, respond 10 working days after that: Mon 23 March.
    assert case.due_on == date(2026, 3, 23)
