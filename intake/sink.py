"""A stand-in for the council's mail relay: accepts every message and keeps it as a file, delivering nothing.

`make run` points outbound mail at it so a fresh machine can show what the service would send, and tests
use it as the edge of the world: real SMTP over a socket, then the exact bytes on disk to assert on.
Each message becomes `<UTC timestamp>-<counter>.eml` (written to a temporary name and renamed, so a
reader never sees half a message) and one line in `index.jsonl` for a person to scan.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.policy import default
from pathlib import Path
from typing import Any, Final

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)

INDEX_NAME: Final = "index.jsonl"
REPLY_KEPT: Final = "250 2.0.0 Kept by the local mail sink (not delivered)"
REPLY_TRY_LATER: Final = "451 4.3.0 The mail sink could not keep the message; try again later"


@dataclass(frozen=True)
class SentMail:
    """One message the sink received, as listed in its index."""

    path: Path
    received_at: datetime
    envelope_from: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str

    def raw(self) -> bytes:
        return self.path.read_bytes()

    def parsed(self) -> EmailMessage:
        return BytesParser(policy=default).parsebytes(self.raw())


class SinkHandler:
    """aiosmtpd's DATA hook: keep the message and answer 250, or 451 if it could not be written."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        try:
            self.keep(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except Exception:
            log.exception("mail sink could not keep a %d-byte message", len(raw))
            return REPLY_TRY_LATER
        return REPLY_KEPT

    def keep(self, raw: bytes, envelope_from: str, recipients: list[str]) -> Path:
        """Write the message file, then its index line: a listed message always has its file.

        Called only from the controller's event loop thread, one message at a time.
        """
        received_at = datetime.now(UTC)
        path = self.directory / f"{received_at:%Y%m%dT%H%M%S.%fZ}-{next(self.counter):06d}.eml"
        _write_atomically(path, raw)
        headers = BytesHeaderParser(policy=default).parsebytes(raw)
        entry = {
            "file": path.name,
            "time": received_at.isoformat(),
            "from": envelope_from,
            "to": recipients,
            "subject": str(headers.get("Subject", "")),
            "message_id": str(headers.get("Message-ID", "")),
        }
        with (self.directory / INDEX_NAME).open("a", encoding="utf-8") as index:
            index.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return path


class MailSink:
    """The sink's listening socket, run by aiosmtpd's Controller on its own thread."""

    def __init__(self, directory: Path, *, host: str = "127.0.0.1", port: int = 2526) -> None:
        self.directory = directory
        self.host = host
        self.port = port
        self.controller = Controller(
            SinkHandler(directory), hostname=host, port=port, server_hostname="mail-sink.localhost"
        )

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.controller.start()
        log.info("mail sink on %s:%d keeping messages in %s", self.host, self.port, self.directory)

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[SentMail]:
        """Everything received so far, oldest first (also what an earlier run of the sink kept)."""
        index = self.directory / INDEX_NAME
        if not index.exists():
            return []
        lines = index.read_text(encoding="utf-8").splitlines()
        return [self._entry(json.loads(line)) for line in lines if line.strip()]

    def _entry(self, entry: dict[str, Any]) -> SentMail:
        return SentMail(
            path=self.directory / entry["file"],
            received_at=datetime.fromisoformat(entry["time"]),
            envelope_from=entry["from"],
            recipients=tuple(entry["to"]),
            subject=entry["subject"],
            message_id=entry["message_id"],
        )


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)
