"""The SMTP listener: the thinnest correct edge between the council's mail server and the case store.

It accepts mail only for the feedback addresses (it is not an open relay), refuses oversized messages (552)
and too many recipients, and answers 250 only once the raw message and its envelope are committed. If
the store fails it answers 451, so the sending server keeps the message and tries again: an exception
inside an aiosmtpd handler would otherwise become a 500, a permanent bounce. Turning the message into a
case is the worker's job (intake.worker), woken after each message is stored.

Messages are stored by writer threads with group commit: a writer takes every message waiting (up to a
batch limit) and commits them in one transaction, and each of those sessions gets its 250 only after that
commit. Under load this spends one transaction on several messages instead of one each, which is most of
the cost of the accept path (see bench/smtp.py); a single message waits for no one.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from intake.config import ListenerSettings
from store.mailbox import accept
from store.models import utcnow

log = logging.getLogger(__name__)

REPLY_ACCEPTED: Final = "250 2.0.0 Message accepted"
REPLY_ALREADY_HAVE: Final = "250 2.0.0 Message already received"
REPLY_RECIPIENT_OK: Final = "250 2.1.5 Recipient ok"
REPLY_NO_SUCH_ADDRESS: Final = "550 5.1.1 No such feedback address here; this server relays nothing"
REPLY_TOO_MANY_RECIPIENTS: Final = "452 4.5.3 Too many recipients"
REPLY_TRY_LATER: Final = "451 4.3.0 Could not store the message just now; please try again later"
# How often one connection may send each command before it is cut off (a client stuck in a loop, a probe).
# A relay keeps its connection open and sends RSET, MAIL, RCPT and DATA for every message, so those are
# counted in thousands; anything else in hundreds.
COMMAND_CALL_LIMIT: Final = {"*": 200, "RSET": 20_000, "MAIL": 20_000, "RCPT": 200_000, "DATA": 20_000, "NOOP": 20_000}
# Longest line accepted in DATA (RFC 5321 says 1,000; see _LenientSMTP).
LINE_LENGTH_LIMIT: Final = 64_000
# Group commit: a writer stops adding messages to a transaction at this many, or past this many bytes.
MAX_BATCH_MESSAGES: Final = 64
MAX_BATCH_BYTES: Final = 32_000_000


@dataclass
class _Pending:
    """A message waiting for a writer, and the SMTP session (on the listener's event loop) awaiting it."""

    raw: bytes
    sender: str
    recipients: list[str]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[bool] = field(repr=False)


class FeedbackHandler:
    """aiosmtpd's handler hooks: check recipients in RCPT, commit in DATA, then answer."""

    def __init__(
        self,
        engine: Engine,
        settings: ListenerSettings,
        *,
        on_stored: Callable[[], None] = lambda: None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.recipients = frozenset(settings.recipients)
        self.max_recipients = settings.max_recipients
        self.on_stored = on_stored
        self.now = now
        # SQLite has one writer at a time: queue writes on one thread instead of letting them contend.
        sqlite = self.engine.dialect.name == "sqlite"
        self.waiting: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self.writers = [
            threading.Thread(target=self._write, name=f"smtp-store-{n}", daemon=True) for n in range(1 if sqlite else 4)
        ]
        for writer in self.writers:
            writer.start()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.lower() not in self.recipients:
            return REPLY_NO_SUCH_ADDRESS
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return REPLY_TOO_MANY_RECIPIENTS
        envelope.rcpt_tos.append(address)
        return REPLY_RECIPIENT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        sender: str = envelope.mail_from or ""
        recipients = [address.lower() for address in envelope.rcpt_tos]
        loop = asyncio.get_running_loop()
        pending = _Pending(raw, sender, recipients, loop, loop.create_future())
        self.waiting.put(pending)
        try:
            stored = await pending.future
        except Exception:
            log.exception("could not store a %d-byte message; answered 451", len(raw))
            return REPLY_TRY_LATER
        self.on_stored()
        return REPLY_ACCEPTED if stored else REPLY_ALREADY_HAVE

    def _write(self) -> None:
        """A writer thread: commit whatever is waiting as one batch, answer its sessions, repeat until closed."""
        while (first := self.waiting.get()) is not None:
            batch, size, closing = [first], len(first.raw), False
            while len(batch) < MAX_BATCH_MESSAGES and size < MAX_BATCH_BYTES:
                try:
                    more = self.waiting.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                    break
                batch.append(more)
                size += len(more.raw)
            try:
                self._commit(batch)
            except Exception as error:  # a writer that died would leave every later session hanging
                log.exception("the SMTP store writer failed on a batch of %d", len(batch))
                self._answer(batch, [error] * len(batch))
            if closing:
                return

    def _commit(self, batch: list[_Pending]) -> None:
        """Store `batch` in one transaction. If the store is unreachable or busy, every session gets 451; if
        the batch failed for another reason, each message is tried alone, so one bad message costs only its
        own session a 451, not its neighbours'."""
        try:
            with self.engine.begin() as connection:
                outcomes: list[bool | BaseException] = [self._accept(connection, pending) for pending in batch]
        except OperationalError as error:
            # Down, or SQLite's busy timeout ran out: one at a time would fail the same way, just slower.
            outcomes = [error] * len(batch)
        except Exception as error:
            if len(batch) == 1:
                outcomes = [error]
            else:
                log.warning("a batch of %d messages failed (%s); storing them one at a time", len(batch), error)
                outcomes = [self._commit_alone(pending) for pending in batch]
        self._answer(batch, outcomes)

    @staticmethod
    def _answer(batch: list[_Pending], outcomes: list[bool | BaseException]) -> None:
        """Wake the sessions of a batch: one call per event loop (there is one) rather than one per message."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[bool], bool | BaseException]]] = {}
        for pending, outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(pending.loop, []).append((pending.future, outcome))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:
                # The listener stopped while these messages were being committed: their sessions are gone
                # without a 250, so the relay sends them again and the dedupe key keeps one copy of each.
                log.info("listener stopped before %d stored messages could be acknowledged", len(settled))

    def _commit_alone(self, pending: _Pending) -> bool | BaseException:
        try:
            with self.engine.begin() as connection:
                return self._accept(connection, pending)
        except Exception as error:
            return error

    def _accept(self, connection: Connection, pending: _Pending) -> bool:
        return accept(
            connection, pending.raw, envelope_sender=pending.sender, recipients=pending.recipients, at=self.now()
        )

    def close(self) -> None:
        """Stop the writers once every message already handed to them is committed (call after the listener
        has stopped accepting)."""
        for _ in self.writers:
            self.waiting.put(None)
        for writer in self.writers:
            writer.join()


def _settle(settled: list[tuple[asyncio.Future[bool], bool | BaseException]]) -> None:
    """On the event loop: hand a writer's outcomes to the sessions awaiting them, unless they have gone."""
    for future, outcome in settled:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class _LenientSMTP(SMTP):
    """aiosmtpd's SMTP with room for long lines in DATA.

    RFC 5321 caps lines at 1,000 characters, and aiosmtpd refuses a longer one with a permanent 500. Mail
    from badly written clients (and HTML mailers) breaks the cap; a bounce would tell the citizen nothing
    useful, so we accept and keep such a message like any other, within the overall size limit.
    """

    line_length_limit = LINE_LENGTH_LIMIT


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _LenientSMTP(self.handler, **self.SMTP_kwargs)


class Listener:
    """The listening socket, run by aiosmtpd's Controller on its own thread."""

    def __init__(self, handler: FeedbackHandler, settings: ListenerSettings) -> None:
        self.handler = handler
        self.controller = _Controller(
            handler,
            hostname=settings.host,
            port=settings.port,
            server_hostname=settings.hostname,
            data_size_limit=settings.max_message_bytes,
            timeout=settings.idle_timeout_seconds,
            tls_context=_tls_context(settings),
            command_call_limit=COMMAND_CALL_LIMIT,
            decode_data=False,
        )

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        self.handler.close()


def _tls_context(settings: ListenerSettings) -> ssl.SSLContext | None:
    """STARTTLS when a certificate is configured; the relay decides whether to use it."""
    if settings.tls_certificate is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_certificate, settings.tls_key)
    return context
