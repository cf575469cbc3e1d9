"""Helpers shared by the email-channel tests: free ports, well-formed test emails."""

from __future__ import annotations

import socket
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

FEEDBACK_ADDRESS = "feedback@council.example"
Send = Callable[..., dict[str, tuple[int, bytes]]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def email_from(
    sender: str = "parent@example.org",
    *,
    name: str = "Sam Parent",
    subject: str = "No reply about my son's school place",
    body: str = "I applied in March and nobody has answered my emails. I am very unhappy.",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A well-formed email from a person, as bytes."""
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = FEEDBACK_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message["Date"] = "Mon, 02 Mar 2026 09:30:00 +0000"
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    return message.as_bytes(policy=SMTP)  # CRLF line endings, as mail travels
