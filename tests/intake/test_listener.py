"""The SMTP edge over a real socket: who it accepts mail for, its limits, and 250 only after a commit."""

from __future__ import annotations

import smtplib
import time

import pytest
from mail_support import FEEDBACK_ADDRESS, Send, email_from, free_port
from sqlalchemy import func, select

from feedback.application import Application
from intake.config import ListenerSettings
from intake.smtp import LINE_LENGTH_LIMIT, REPLY_TRY_LATER, FeedbackHandler, Listener
from store.db import make_engine, transaction
from store.models import InboundMail


def stored(app: Application) -> list[InboundMail]:
    with transaction(app.sessions) as session:
        return list(session.scalars(select(InboundMail).order_by(InboundMail.id)))


def test_a_message_to_the_feedback_address_is_committed_before_the_250(app: Application, send: Send) -> None:
    raw = email_from()
    assert send(raw) == {}
    [inbound] = stored(app)  # a fresh session sees it: it was committed when the client got 250
    assert (inbound.raw, inbound.envelope_sender, inbound.recipients, inbound.status) == (
        raw,
        "parent@example.org",
        [FEEDBACK_ADDRESS],
        "received",
    )


def test_the_address_is_matched_case_insensitively(app: Application, send: Send) -> None:
    send(email_from(), to=("Feedback@Council.EXAMPLE",))
    assert len(stored(app)) == 1


def test_other_recipients_get_550_it_is_not_an_open_relay(app: Application, listener: ListenerSettings) -> None:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        client.mail("spammer@example.com")
        code, reply = client.rcpt("victim@example.net")
        assert code == 550
        assert b"relays nothing" in reply
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtplib.SMTP(listener.host, listener.port, timeout=10).sendmail("a@example.com", ["x@elsewhere.example"], b"hi")
    assert stored(app) == []


def test_a_mixed_recipient_list_delivers_only_to_ours(app: Application, send: Send) -> None:
    refused = send(email_from(), to=(FEEDBACK_ADDRESS, "someone@elsewhere.example"))
    assert list(refused) == ["someone@elsewhere.example"]
    assert stored(app)[0].recipients == [FEEDBACK_ADDRESS]


def test_too_many_recipients_are_refused_with_452(app: Application, listener: ListenerSettings) -> None:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        client.mail("parent@example.org")
        codes = [client.rcpt(FEEDBACK_ADDRESS)[0] for _ in range(listener.max_recipients + 1)]
    assert codes[:-1] == [250] * listener.max_recipients
    assert codes[-1] == 452


def test_the_size_limit_is_advertised_and_enforced_with_552(
    app: Application, listener: ListenerSettings, send: Send
) -> None:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        assert int(client.esmtp_features["size"]) == listener.max_message_bytes
    huge = email_from(body=("y" * 70 + "\n") * (listener.max_message_bytes // 70 + 10))
    with pytest.raises(smtplib.SMTPSenderRefused) as declared:
        send(huge)  # smtplib declares SIZE=…, refused at MAIL FROM
    assert declared.value.smtp_code == 552
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        client.mail("parent@example.org")  # no SIZE: refused once the data passes the limit
        client.rcpt(FEEDBACK_ADDRESS)
        assert client.data(huge)[0] == 552
    assert stored(app) == []


def test_a_line_over_rfc_5321s_limit_is_kept_not_bounced(app: Application, send: Send) -> None:
    """Badly written mailers break the 1,000-character line limit; a bounce would lose the citizen's words."""
    raw = b"From: a@example.org\r\nSubject: long\r\n\r\n" + b"a" * 5000 + b"\r\n"
    send(raw)
    assert stored(app)[0].raw == raw


def test_a_line_beyond_any_reason_is_refused(app: Application, send: Send) -> None:
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPServerDisconnected)):
        send(b"Subject: long\r\n\r\n" + b"a" * (LINE_LENGTH_LIMIT + 10) + b"\r\n")
    assert stored(app) == []


def test_the_same_message_sent_twice_is_stored_once(app: Application, listener: ListenerSettings) -> None:
    """A relay that lost our 250 and retries must not create a second case (and is told we have it)."""
    raw = email_from()
    replies = []
    for _ in range(2):
        with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
            client.ehlo()
            client.mail("parent@example.org")
            client.rcpt(FEEDBACK_ADDRESS)
            replies.append(client.data(raw))
    assert replies == [(250, b"2.0.0 Message accepted"), (250, b"2.0.0 Message already received")]
    assert len(stored(app)) == 1


def test_the_same_message_id_from_another_sender_is_another_message(app: Application, send: Send) -> None:
    raw = email_from()
    send(raw, sender="parent@example.org")
    send(raw, sender="other@example.org")
    assert len(stored(app)) == 2


def test_messages_without_a_message_id_are_told_apart_by_their_bytes(app: Application, send: Send) -> None:
    send(b"From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n")
    send(b"From: a@example.org\r\nSubject: one\r\n\r\nsecond\r\n")
    send(b"From: a@example.org\r\nSubject: one\r\n\r\nsecond\r\n")
    assert len(stored(app)) == 2


def test_a_store_that_is_down_gets_451_not_a_bounce(app: Application, listener_settings: ListenerSettings) -> None:
    """An exception in an aiosmtpd handler would be a 500 (a permanent bounce): the citizen's mail would be lost."""
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 2})
    handler = FeedbackHandler(dead, listener_settings)
    running = Listener(handler, listener_settings)
    running.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtplib.SMTP(listener_settings.host, listener_settings.port, timeout=20).sendmail(
                "parent@example.org", [FEEDBACK_ADDRESS], email_from()
            )
        assert refused.value.smtp_code == 451
        assert refused.value.smtp_error.decode() == REPLY_TRY_LATER.removeprefix("451 ")
    finally:
        running.stop()
        dead.dispose()


def test_8bit_and_smtputf8_mail_is_kept_byte_for_byte(app: Application, listener: ListenerSettings) -> None:
    raw = "From: Zoë <zoe@example.org>\r\nSubject: Diolch yn fawr – £20\r\n\r\nDiolch! 😊\r\n".encode()
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.sendmail("zoe@example.org", [FEEDBACK_ADDRESS], raw, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert stored(app)[0].raw == raw


def test_bare_lf_dot_does_not_end_the_message_early(app: Application, listener: ListenerSettings) -> None:
    """SMTP smuggling (CVE-2023-51764 family): '\\n.\\n' inside DATA must not end it and start a second mail."""
    smuggled = (
        b"From: a@example.org\r\nSubject: first\r\n\r\nhello\n.\nMAIL FROM:<evil@example.com>\r\n"
        b"RCPT TO:<feedback@council.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n"
    )
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        client.mail("a@example.org")
        client.rcpt(FEEDBACK_ADDRESS)
        code, _ = client.data(smuggled)
    messages = stored(app)
    assert code == 250
    assert len(messages) == 1
    assert b"smuggled" in messages[0].raw


def test_garbage_commands_get_errors_and_store_nothing(app: Application, listener: ListenerSettings) -> None:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        assert client.docmd("FOO bar")[0] == 500
        assert client.docmd("RCPT TO:<feedback@council.example>")[0] == 503  # no HELO or MAIL first
        client.ehlo()
        assert client.docmd("MAIL")[0] == 501  # no FROM:<…> at all
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        assert client.docmd("DATA")[0] == 503
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count(InboundMail.id))) == 0


def test_listener_port_is_free_again_after_stop(app: Application, listener_settings: ListenerSettings) -> None:
    for _ in range(2):
        running = Listener(FeedbackHandler(app.engine, listener_settings), listener_settings)
        running.start()
        running.stop()
    assert free_port() > 0


def test_regression_a_relay_may_send_many_messages_on_one_connection(
    app: Application, listener: ListenerSettings
) -> None:
    """A flat per-connection command limit of 200 cut relays off at about the 200th message (421)."""
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        for number in range(250):
            client.rset()
            client.sendmail("parent@example.org", [FEEDBACK_ADDRESS], email_from(subject=f"Message {number}"))
    assert len(stored(app)) == 250


def test_an_idle_connection_is_closed(app: Application, listener_settings: ListenerSettings) -> None:
    settings = listener_settings.model_copy(update={"idle_timeout_seconds": 1})
    running = Listener(FeedbackHandler(app.engine, settings), settings)
    running.start()
    try:
        client = smtplib.SMTP(settings.host, settings.port, timeout=10)
        client.ehlo()
        time.sleep(2.5)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.mail("parent@example.org")
            client.rcpt(FEEDBACK_ADDRESS)
    finally:
        running.stop()
