"""The outbox sender against a real relay: a MailSink (or a refusing SMTP server) on a free local port.

Every test runs on SQLite and PostgreSQL. Time is the `clock` fixture: retries are due when the clock is
moved past their backoff, never by sleeping.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from mail_support import free_port
from sqlalchemy import select

from feedback.application import Application
from intake.config import MailSettings, RetrySettings
from intake.outbound import LEASE, OutboxSender
from intake.sink import MailSink
from store.db import transaction
from store.models import OutboxMessage
from store.outbox import Outgoing, enqueue

CITIZEN = "jo.bloggs@example.org"
BODY = "Thank you for your complaint about the transport to Oakfield School."

Queue = Callable[..., str | None]
Rows = Callable[[], list[OutboxMessage]]


class RefusingRelay:
    """A relay that refuses every recipient with the given reply, as a real one does for a dead mailbox."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        return self.reply.format(address=address)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    running = MailSink(tmp_path / "sent", port=free_port())
    running.start()
    yield running
    running.stop()


@pytest.fixture
def mail_to(app: Application) -> Callable[[int], MailSettings]:
    """Factory: mail settings whose relay is 127.0.0.1:port, with short timeouts and three attempts."""

    def settings(port: int) -> MailSettings:
        mail = app.settings.mail
        relay = mail.relay.model_copy(update={"host": "127.0.0.1", "port": port, "timeout_seconds": 2})
        retry = RetrySettings(max_attempts=3, first_delay_seconds=60, max_delay_seconds=600)
        return mail.model_copy(update={"relay": relay, "retry": retry})

    return settings


@pytest.fixture
def sender_for(app: Application, clock: Any, mail_to: Callable[[int], MailSettings]) -> Callable[[int], OutboxSender]:
    """Factory: a sender delivering through the relay on `port`, on the test clock."""

    def make(port: int) -> OutboxSender:
        return OutboxSender(app.sessions, mail_to(port), now=clock)

    return make


@pytest.fixture
def queue(app: Application, clock: Any) -> Queue:
    """Factory: enqueue one message in its own transaction, as a case change would; its Message-ID or None."""

    def add(dedupe_key: str = "acknowledgement:1", **fields: Any) -> str | None:
        outgoing = Outgoing(
            **{
                "kind": "acknowledgement",
                "to_address": CITIZEN,
                "subject": "[FB-7K3M-9QX4] We have received your complaint",
                "body_text": BODY,
                "dedupe_key": dedupe_key,
                **fields,
            }
        )
        with transaction(app.sessions) as session:
            return enqueue(session, outgoing, message_id_domain=app.settings.mail.message_id_domain, at=clock())

    return add


@pytest.fixture
def rows(app: Application) -> Rows:
    """Factory: the outbox as committed, oldest first."""

    def read() -> list[OutboxMessage]:
        with transaction(app.sessions) as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    return read


def test_due_messages_reach_the_relay_with_their_own_headers(
    app: Application, clock: Any, sink: MailSink, sender_for: Callable[[int], OutboxSender], queue: Queue, rows: Rows
) -> None:
    threaded = {"Auto-Submitted": "auto-replied", "In-Reply-To": "<a1@example.org>", "References": "<a1@example.org>"}
    acknowledgement = queue(headers=threaded, body_html="<p>Thank you for your complaint.</p>")
    notification = queue(
        "notification:1", kind="notification", to_address="admissions@council.example", subject="[FB-7K3M-9QX4] New"
    )

    assert acknowledgement is not None and notification is not None
    assert sender_for(sink.port).send_due() == 2

    kept = {mail.message_id: mail for mail in sink.messages()}
    assert set(kept) == {acknowledgement, notification}
    first = kept[acknowledgement]
    assert first.envelope_from == app.settings.mail.from_address
    assert first.recipients == (CITIZEN,)
    message = first.parsed()
    assert message["From"].addresses[0].addr_spec == app.settings.mail.from_address
    assert message["From"].addresses[0].display_name == app.settings.mail.from_name
    assert message["To"] == CITIZEN
    assert message["Subject"] == "[FB-7K3M-9QX4] We have received your complaint"
    assert message["Date"].datetime == clock()
    assert {name: message[name] for name in threaded} == threaded
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and text.get_content().strip() == BODY
    assert html is not None and "<p>Thank you for your complaint.</p>" in html.get_content()

    plain = kept[notification].parsed()
    assert plain.get_content_type() == "text/plain"
    assert plain["Auto-Submitted"] is None
    assert [(row.status, row.attempts, row.sent_at) for row in rows()] == [("sent", 0, clock()), ("sent", 0, clock())]


def test_the_same_dedupe_key_queued_twice_is_sent_once(
    sink: MailSink, sender_for: Callable[[int], OutboxSender], queue: Queue, rows: Rows
) -> None:
    first = queue("acknowledgement:42")
    queue("acknowledgement:42")
    sender = sender_for(sink.port)

    assert sender.send_due() == 1
    assert sender.send_due() == 0
    assert [row.message_id for row in rows()] == [mail.message_id for mail in sink.messages()] == [first]


def test_regression_enqueue_answers_none_for_a_dedupe_key_already_queued(app: Application, queue: Queue) -> None:
    """psycopg reports rowcount -1 for a skipped INSERT … ON CONFLICT DO NOTHING; enqueue read that as done."""
    assert queue("acknowledgement:42") is not None
    assert queue("acknowledgement:42") is None


def test_with_the_relay_down_a_message_waits_longer_each_time_then_goes_when_it_is_back(
    clock: Any, tmp_path: Path, sender_for: Callable[[int], OutboxSender], queue: Queue, rows: Rows
) -> None:
    port = free_port()  # nothing listens here yet
    sender = sender_for(port)
    queue()

    assert sender.send_due() == 0
    [row] = rows()
    assert (row.status, row.attempts, row.next_attempt_at - clock()) == ("pending", 1, timedelta(minutes=1))
    assert row.last_error is not None and row.last_error.startswith("relay unreachable")
    assert sender.send_due() == 0, "not due again before its backoff"
    assert rows()[0].attempts == 1

    clock.advance(minutes=1)
    assert sender.send_due() == 0
    [row] = rows()
    assert (row.status, row.attempts, row.next_attempt_at - clock()) == ("pending", 2, timedelta(minutes=2))

    relay = MailSink(tmp_path / "sent", port=port)
    relay.start()
    try:
        clock.advance(minutes=2)
        assert sender.send_due() == 1
    finally:
        relay.stop()
    [row] = rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert [mail.message_id for mail in relay.messages()] == [row.message_id]


def test_after_max_attempts_a_message_is_failed_and_kept(
    clock: Any, sender_for: Callable[[int], OutboxSender], queue: Queue, rows: Rows
) -> None:
    sender = sender_for(free_port())
    queue()
    for _ in range(3):
        sender.send_due()
        clock.advance(hours=1)

    [row] = rows()
    assert (row.status, row.attempts) == ("failed", 3)
    clock.advance(days=1)
    assert sender.send_due() == 0
    assert rows()[0].status == "failed"


def test_a_relay_that_is_down_ends_the_pass_after_one_attempt(
    sender_for: Callable[[int], OutboxSender], queue: Queue, rows: Rows
) -> None:
    queue("acknowledgement:1")
    queue("acknowledgement:2")

    assert sender_for(free_port()).send_due() == 0
    assert [(row.status, row.attempts) for row in rows()] == [("pending", 1), ("pending", 0)]


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ("550 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable", "failed"),
        ("450 4.2.1 <{address}>: mailbox busy, try again later", "pending"),
    ],
)
def test_a_permanent_refusal_fails_at_once_a_temporary_one_is_retried(
    reply: str,
    status: str,
    caplog: pytest.LogCaptureFixture,
    sender_for: Callable[[int], OutboxSender],
    queue: Queue,
    rows: Rows,
) -> None:
    port = free_port()
    relay = Controller(RefusingRelay(reply), hostname="127.0.0.1", port=port, server_hostname="relay.localhost")
    relay.start()
    queue()
    try:
        with caplog.at_level(logging.INFO, logger="intake.outbound"):
            assert sender_for(port).send_due() == 0
    finally:
        relay.stop()

    [row] = rows()
    assert (row.status, row.attempts) == (status, 1)
    assert row.last_error is not None and row.last_error.startswith(f"recipient refused: {reply[:3]}")
    assert BODY not in row.last_error
    assert "j***@example.org" in caplog.text
    assert CITIZEN not in caplog.text, "addresses are redacted in logs, even inside the relay's reply"
    assert BODY not in caplog.text


def test_a_message_that_cannot_be_composed_fails_at_once_and_does_not_block_the_queue(
    sink: MailSink, sender_for: Callable[[int], OutboxSender], queue: Queue, rows: Rows
) -> None:
    queue("acknowledgement:1", headers={"X-Injected": "yes\r\nBcc: someone@example.net"})
    good = queue("acknowledgement:2")

    assert sender_for(sink.port).send_due() == 1

    [poison, sent] = rows()
    assert [(poison.status, poison.attempts), (sent.status, sent.attempts)] == [("failed", 1), ("sent", 0)]
    assert poison.last_error is not None and poison.last_error.startswith("cannot compose")
    assert [mail.message_id for mail in sink.messages()] == [good]


@pytest.mark.parametrize("relay_took_it", [False, True], ids=["before the relay took it", "after"])
def test_a_sender_that_dies_mid_send_leaves_the_message_to_go_once_its_lease_expires(
    relay_took_it: bool,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    sink: MailSink,
    sender_for: Callable[[int], OutboxSender],
    queue: Queue,
    rows: Rows,
) -> None:
    message_id = queue()
    send_message = smtplib.SMTP.send_message

    def crash(relay: smtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
        if relay_took_it:
            send_message(relay, *args, **kwargs)
        raise SystemExit("the process was stopped")

    with monkeypatch.context() as patched:
        patched.setattr(smtplib.SMTP, "send_message", crash)
        with pytest.raises(SystemExit):
            sender_for(sink.port).send_due()
    assert [(row.status, row.attempts) for row in rows()] == [("pending", 0)]
    assert sender_for(sink.port).send_due() == 0  # leased to the sender that died, for now

    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert sender_for(sink.port).send_due() == 1
    assert rows()[0].status == "sent"
    # At least once: a message the relay took just before the crash goes again, under the same Message-ID.
    assert [mail.message_id for mail in sink.messages()] == [message_id] * (2 if relay_took_it else 1)


def test_two_senders_at_once_never_send_a_message_twice(
    sink: MailSink, sender_for: Callable[[int], OutboxSender], queue: Queue, rows: Rows
) -> None:
    queued = {queue(f"digest:{number}") for number in range(30)}
    start = threading.Barrier(2)
    sent: list[int] = []

    def drain() -> None:
        sender = sender_for(sink.port)
        start.wait()
        sent.append(sender.send_due())

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    delivered = [mail.message_id for mail in sink.messages()]
    assert sum(sent) == 30
    assert len(delivered) == len(set(delivered)) == 30
    assert set(delivered) == queued
    assert {row.status for row in rows()} == {"sent"}


def test_run_sends_until_stopped(sink: MailSink, sender_for: Callable[[int], OutboxSender], queue: Queue) -> None:
    stop = threading.Event()
    runner = threading.Thread(target=sender_for(sink.port).run, args=(stop,), kwargs={"poll_seconds": 0.05})
    runner.start()
    try:
        message_id = queue()
        deadline = time.monotonic() + 5
        while not sink.messages() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        runner.join(timeout=5)

    assert not runner.is_alive()
    assert [mail.message_id for mail in sink.messages()] == [message_id]
