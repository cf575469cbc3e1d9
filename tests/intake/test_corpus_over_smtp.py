"""Every corpus message over a real SMTP socket and through the worker: what becomes of each.

The parser's view of each message is pinned in test_mime.py; here the whole channel is: the listener
stores every message it accepts, the worker makes a case for each email from a person (and acknowledges
those it can answer), sets robot mail aside unanswered, and quarantines what cannot be read — and never
answers a robot or loses a message.
"""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from feedback.application import Application
from intake.config import ListenerSettings
from intake.worker import MailWorker
from store.db import transaction
from store.models import Case, InboundMail, Message, OutboxMessage

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yml").read_text(encoding="utf-8"))


def _deliver(listener: ListenerSettings, raw: bytes, sender: str) -> int:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        client.mail(sender, ["SMTPUTF8", "BODY=8BITMIME"] if not raw.isascii() else [])
        client.rcpt("feedback@council.example")
        code, _ = client.data(raw)
        return code


def _transmittable(raw: bytes) -> bytes:
    """What a relay would hand on: CRLF line endings."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_what_becomes_of_each_corpus_message(
    name: str, app: Application, listener: ListenerSettings, worker: MailWorker
) -> None:
    expected = EXPECTED[name]
    raw = _transmittable((CORPUS / name).read_bytes())
    sender = expected.get("envelope_sender", expected.get("sender_address") or "someone@example.org")
    assert _deliver(listener, raw, sender or "") == 250
    worker.drain()
    with transaction(app.sessions) as session:
        [inbound] = session.scalars(select(InboundMail)).all()
        cases = session.scalars(select(Case)).all()
        acks = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")).all()
        messages = session.scalars(select(Message)).all()
        status, error = inbound.status, inbound.last_error

    if expected.get("unparseable"):
        assert (status, len(cases)) == ("quarantined", 0)
        assert error is not None and error.startswith("unparseable")
    elif expected.get("from_robot") or not sender:
        assert (status, len(cases), len(acks)) == ("ignored", 0, 0), "robots are set aside, never answered"
    else:
        assert (status, len(cases)) == ("processed", 1)
        assert messages[0].inbound_mail_id == inbound.id
        assert messages[0].body.strip(), "a case always has text to read"
        can_answer = bool(expected.get("sender_address"))
        assert len(acks) == (1 if can_answer else 0)
        if can_answer:
            assert acks[0].to_address == expected["sender_address"]
            assert cases[0].reference in acks[0].subject
