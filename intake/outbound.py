"""The outbox sender: delivers queued mail through the council's relay, one message per transaction.

A message is claimed (`FOR UPDATE SKIP LOCKED`, so several senders never take the same one), sent, and
marked sent in one transaction. A crash before the commit leaves it pending, to be sent on the next pass:
delivery is at least once, never lost, and the Message-ID is the same each time so a duplicate can be
recognised. A failed attempt is counted and retried with doubling delays; after `max_attempts`, or at once
when the relay refuses the recipient for good (5xx), the message is marked failed and kept for staff.

Logs name the outbox row and a redacted address, never the body.
"""

from __future__ import annotations

import email.errors
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Final, Literal

from sqlalchemy.orm import Session, sessionmaker

from intake.config import MailSettings
from intake.logs import redact_address, redact_addresses
from store.db import transaction
from store.models import OutboxMessage, utcnow
from store.outbox import backoff, due

log = logging.getLogger(__name__)

MAX_ERROR_CHARS: Final = 500
# How long a claimed message is left to its sender before another may try it (longer than any relay timeout).
LEASE: Final = timedelta(minutes=10)

# What one attempt came to; "relay down" ends the pass, since every other message would fail the same way.
Outcome = Literal["sent", "retrying", "failed", "relay down"]


class OutboxSender:
    """Drains the outbox; several may run at once (on PostgreSQL each skips the rows another holds)."""

    def __init__(
        self, sessions: sessionmaker[Session], mail: MailSettings, *, now: Callable[[], datetime] = utcnow
    ) -> None:
        self.sessions = sessions
        self.mail = mail
        self.now = now

    def send_due(self) -> int:
        """One pass over the messages due now; how many were sent."""
        sent = 0
        while (outcome := self._send_next()) is not None:
            sent += outcome == "sent"
            if outcome == "relay down":
                break
        return sent

    def run(self, stop: threading.Event, *, poll_seconds: float = 2.0) -> None:
        """Send until `stop` is set, a pass every `poll_seconds`."""
        while not stop.is_set():
            try:
                self.send_due()
            except Exception:
                # The store is unreachable: the messages stay queued; try again after the interval.
                log.exception("outbox sender could not reach the store")
            stop.wait(poll_seconds)

    def _send_next(self) -> Outcome | None:
        """Claim one due message, send it outside any transaction, then record what happened.

        The claim is a lease: the row's next attempt moves `LEASE` ahead and commits at once, so no
        database lock is held while the relay is slow (on SQLite that lock would stop the SMTP listener
        storing mail). A sender that dies mid-send leaves the lease to expire and the message goes again,
        with the same Message-ID.
        """
        with transaction(self.sessions) as session:
            claimed = due(session, now=self.now(), limit=1)
            if not claimed:
                return None
            row = claimed[0]
            row.next_attempt_at = self.now() + LEASE
            try:
                message: EmailMessage | None = compose(row, self.mail, at=self.now())
                problem = ""
            except (ValueError, TypeError, email.errors.MessageError) as error:
                message, problem = None, f"cannot compose: {type(error).__name__}: {error}"
            row_id, to_address = row.id, row.to_address
        if message is None:
            # A header that cannot be written will not be writable next time either.
            return self._record(row_id, "failed", problem)
        outcome, problem = self._deliver(message, to_address)
        return self._record(row_id, outcome, problem)

    def _deliver(self, message: EmailMessage, to_address: str) -> tuple[Outcome, str]:
        try:
            relay = self._connect()
        except Exception as error:  # refused, timed out, TLS or login failed: no message can go now
            return "relay down", f"relay unreachable: {describe_error(error)}"
        try:
            relay.send_message(message, from_addr=self.mail.from_address, to_addrs=[to_address])
        except smtplib.SMTPRecipientsRefused as error:
            return ("failed" if refused_for_good(error) else "retrying"), describe_error(error)
        except Exception as error:  # smtplib's errors, timeouts, dropped connections: try again later
            return "retrying", describe_error(error)
        finally:
            _close(relay)
        return "sent", ""

    def _record(self, row_id: int, outcome: Outcome, problem: str) -> Outcome:
        with transaction(self.sessions) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None, "outbox rows are never deleted"
            if outcome == "sent":
                return self._mark_sent(row)
            recorded = self._record_failure(row, problem, permanent=outcome == "failed")
            return "relay down" if outcome == "relay down" and recorded != "failed" else recorded

    def _connect(self) -> smtplib.SMTP:
        settings = self.mail.relay
        relay = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        try:
            if settings.starttls:
                relay.starttls(context=ssl.create_default_context())
            if settings.username:
                relay.login(settings.username, settings.password or "")
        except BaseException:
            relay.close()
            raise
        return relay

    def _mark_sent(self, row: OutboxMessage) -> Outcome:
        row.status = "sent"
        row.sent_at = self.now()
        row.last_error = None
        log.info("outbox %d (%s) sent to %s as %s", row.id, row.kind, redact_address(row.to_address), row.message_id)
        return "sent"

    def _record_failure(self, row: OutboxMessage, error: str, *, permanent: bool) -> Outcome:
        retry = self.mail.retry
        row.attempts += 1
        row.last_error = error[:MAX_ERROR_CHARS]
        where = f"outbox {row.id} ({row.kind}) to {redact_address(row.to_address)}"
        if permanent or row.attempts >= retry.max_attempts:
            row.status = "failed"
            log.error("%s failed for good after %d attempt(s): %s", where, row.attempts, redact_addresses(error))
            return "failed"
        delay = backoff(
            row.attempts,
            first=timedelta(seconds=retry.first_delay_seconds),
            ceiling=timedelta(seconds=retry.max_delay_seconds),
        )
        row.next_attempt_at = self.now() + delay
        log.warning("%s attempt %d failed, retry in %s: %s", where, row.attempts, delay, redact_addresses(error))
        return "retrying"


def compose(row: OutboxMessage, mail: MailSettings, *, at: datetime) -> EmailMessage:
    """The email for an outbox row: our From, its own Message-ID and extra headers, text and optional HTML."""
    message = EmailMessage()
    message["From"] = Address(display_name=mail.from_name, addr_spec=mail.from_address)
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = row.message_id
    for name, value in row.headers.items():
        message[name] = str(value)
    message.set_content(row.body_text)
    if row.body_html is not None:
        message.add_alternative(row.body_html, subtype="html")
    return message


def refused_for_good(error: smtplib.SMTPRecipientsRefused) -> bool:
    """Whether every refusal was permanent (5xx); a 4xx (mailbox busy, greylisting) is worth retrying."""
    return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())


def describe_error(error: Exception) -> str:
    """What went wrong, for `last_error`: the relay's code and words, never the message itself."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(_reply(code, text) for code, text in error.recipients.values())
        return f"recipient refused: {replies}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {_reply(error.smtp_code, error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {words}"


def _close(relay: smtplib.SMTP) -> None:
    """QUIT politely; a relay that has already hung up after taking the message is no failure."""
    try:
        relay.quit()
    except OSError:
        relay.close()
