"""The local mail sink: real SMTP in, the exact bytes on disk and a readable index out."""

from __future__ import annotations

import json
import re
import shutil
import smtplib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

import pytest
from mail_support import free_port

from intake.sink import INDEX_NAME, MailSink

FILE_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-\d{6}\.eml$")
Deliver = Callable[..., bytes]


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "var" / "sent"  # not there yet: the sink makes it


@pytest.fixture
def sink(directory: Path) -> Iterator[MailSink]:
    running = MailSink(directory, port=free_port())
    running.start()
    yield running
    running.stop()


@pytest.fixture
def deliver(sink: MailSink) -> Deliver:
    """Factory: send one message to the sink over SMTP; returns the bytes sent."""

    def send(
        subject: str = "[FB-7K3M-9QX4] We have received your complaint",
        *,
        sender: str = "feedback@council.example",
        to: tuple[str, ...] = ("jo.bloggs@example.org",),
    ) -> bytes:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="council.example")
        message.set_content("Thank you for getting in touch.")
        raw = message.as_bytes(policy=SMTP)
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.sendmail(sender, list(to), raw)
        return raw

    return send


def test_each_message_is_kept_byte_for_byte_and_listed(sink: MailSink, directory: Path, deliver: Deliver) -> None:
    first = deliver("First")
    second = deliver("Zweite Nachricht – über", to=("a@example.org", "b@elsewhere.example"))

    kept = sink.messages()
    assert [mail.raw() for mail in kept] == [first, second]
    assert [mail.subject for mail in kept] == ["First", "Zweite Nachricht – über"]
    assert kept[1].envelope_from == "feedback@council.example"
    assert kept[1].recipients == ("a@example.org", "b@elsewhere.example")
    assert kept[0].message_id == kept[0].parsed()["Message-ID"]
    assert kept[0].received_at <= kept[1].received_at
    assert all(FILE_NAME.match(mail.path.name) for mail in kept)
    assert sorted(path.name for path in directory.iterdir()) == sorted([INDEX_NAME, *(m.path.name for m in kept)])


def test_the_index_is_one_json_line_per_message(directory: Path, deliver: Deliver) -> None:
    deliver("Hello")

    [line] = (directory / INDEX_NAME).read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert set(entry) == {"file", "time", "from", "to", "subject", "message_id"}
    assert (entry["from"], entry["to"], entry["subject"]) == (
        "feedback@council.example",
        ["jo.bloggs@example.org"],
        "Hello",
    )


def test_nothing_received_lists_nothing(sink: MailSink) -> None:
    assert sink.messages() == []


def test_a_restarted_sink_still_lists_what_it_kept_before(directory: Path) -> None:
    for subject in ("Before", "After"):
        sink = MailSink(directory, port=free_port())
        sink.start()
        try:
            with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
                client.sendmail("feedback@council.example", ["x@example.org"], f"Subject: {subject}\r\n\r\nHi\r\n")
        finally:
            sink.stop()

    kept = MailSink(directory).messages()
    assert [mail.subject for mail in kept] == ["Before", "After"]
    assert kept[0].path != kept[1].path


def test_a_message_it_cannot_write_is_answered_451_not_bounced(directory: Path, deliver: Deliver) -> None:
    deliver("Makes the directory")
    shutil.rmtree(directory)

    with pytest.raises(smtplib.SMTPDataError) as refused:
        deliver("Lost directory")
    assert refused.value.smtp_code == 451
