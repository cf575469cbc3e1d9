"""STARTTLS: offered when a certificate is configured, and mail sent over it is stored like any other."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from pathlib import Path

from mail_support import FEEDBACK_ADDRESS, email_from
from sqlalchemy import select

from feedback.application import Application
from intake.config import ListenerSettings
from intake.smtp import FeedbackHandler, Listener
from store.db import transaction
from store.models import InboundMail


def self_signed(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def test_starttls_is_offered_with_a_certificate_and_mail_over_it_is_stored(
    app: Application, listener_settings: ListenerSettings, tmp_path: Path
) -> None:
    certificate, key = self_signed(tmp_path)
    settings = listener_settings.model_copy(update={"tls_certificate": certificate, "tls_key": key})
    running = Listener(FeedbackHandler(app.engine, settings), settings)
    running.start()
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=10) as client:
            client.ehlo()
            assert client.has_extn("starttls")
            context = ssl.create_default_context(cafile=str(certificate))
            context.check_hostname = False
            client.starttls(context=context)
            client.ehlo()
            client.sendmail("parent@example.org", [FEEDBACK_ADDRESS], email_from())
    finally:
        running.stop()
    with transaction(app.sessions) as session:
        assert len(session.scalars(select(InboundMail)).all()) == 1


def test_without_a_certificate_starttls_is_not_offered(listener: ListenerSettings) -> None:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
