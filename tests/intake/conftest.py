"""Fixtures for the email channel: a real SMTP listener on a free local port, and a client that talks to it."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest
from mail_support import FEEDBACK_ADDRESS, Send, free_port

from feedback.application import Application
from intake.config import ListenerSettings
from intake.smtp import FeedbackHandler, Listener
from intake.worker import MailWorker


@pytest.fixture
def listener_settings(app: Application) -> ListenerSettings:
    return app.settings.smtp.model_copy(update={"port": free_port(), "max_message_bytes": 200_000})


@pytest.fixture
def listener(app: Application, listener_settings: ListenerSettings) -> Iterator[ListenerSettings]:
    """The real listener, storing into the test database; yields its settings (host and port)."""
    handler = FeedbackHandler(app.engine, listener_settings, now=app.service.now)
    running = Listener(handler, listener_settings)
    running.start()
    yield listener_settings
    running.stop()


@pytest.fixture
def worker(app: Application) -> MailWorker:
    return MailWorker(app.sessions, app.mail_processor())


@pytest.fixture
def send(listener: ListenerSettings) -> Send:
    """Send raw bytes over SMTP; returns smtplib's refused-recipients dict (raises on a refused message)."""

    def deliver(
        raw: bytes, *, sender: str = "parent@example.org", to: tuple[str, ...] = (FEEDBACK_ADDRESS,)
    ) -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
            return client.sendmail(sender, list(to), raw)

    return deliver
