"""Crash test: `feedback smtpd` is SIGKILLed at random moments while relays send it mail.

The reliability rule under test (DESIGN.md): 250 only after the raw message is committed, and each stored
message becomes a case at most once. A kill can land anywhere: mid-DATA, between the commit and the 250,
inside the worker's transaction. Clients behave like a relay: on a dropped connection or a 4xx they
reconnect and send the same message again, a bounded number of times. Afterwards every message that got
a 250 must be stored exactly once and be exactly one case, with nothing quarantined or left waiting.

Sizes are environment-overridable for a longer soak: FEEDBACK_CRASH_MESSAGES, FEEDBACK_CRASH_SEED.
"""

from __future__ import annotations

import os
import random
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import IO

from mail_support import FEEDBACK_ADDRESS, free_port
from sqlalchemy import func, select

from feedback.application import Application
from store.db import transaction
from store.models import Case, InboundMail, Message

REPO = Path(__file__).resolve().parents[2]
MESSAGES = int(os.environ.get("FEEDBACK_CRASH_MESSAGES", "300"))
SEED = int(os.environ.get("FEEDBACK_CRASH_SEED", "20260302"))
SENDERS = 6
# Each sender pauses up to this long between messages, so sending spans several kills rather than
# finishing inside the first up-time of the listener.
MAX_PAUSE_SECONDS = 0.2
KILL_AFTER_SECONDS = (0.3, 1.5)
ATTEMPTS_PER_MESSAGE = 60  # a relay retries for days; this bounds the test, not the behaviour
START_TIMEOUT_SECONDS = 30
DRAIN_TIMEOUT_SECONDS = 60


class Smtpd:
    """`feedback smtpd` as a child process on a fixed port, to be SIGKILLed and started again."""

    def __init__(self, database_url: str, port: int, log: IO[bytes]) -> None:
        self.port = port
        self.log = log
        inherited = {key: value for key, value in os.environ.items() if not key.startswith("FEEDBACK_")}
        self.env = inherited | {
            "FEEDBACK_DATABASE__URL": database_url,
            "FEEDBACK_SMTP__PORT": str(port),
            # Nothing listens there: acknowledgements stay queued in the outbox, which is all we need.
            "FEEDBACK_MAIL__RELAY__PORT": str(free_port()),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: list[float] = []  # how long each start took, until the port accepted

    def start(self) -> None:
        """Start it and wait until the port accepts connections (the listener is up, the worker starting)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "feedback", "smtpd"], cwd=REPO, env=self.env, stdout=self.log, stderr=self.log
        )
        begun = time.monotonic()
        deadline = begun + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"feedback smtpd exited with {self.process.returncode} while starting")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    self.start_seconds.append(time.monotonic() - begun)
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"feedback smtpd did not listen on {self.port} within {START_TIMEOUT_SECONDS} s")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or rolled back by the process itself."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM for a clean stop, SIGKILL if that takes too long; safe to call at any time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Relay:
    """Senders that behave like the council's mail server: retry the same message on 4xx or a lost
    connection, record the Message-IDs whose DATA got 250, and never count a message twice."""

    def __init__(self, port: int, messages: list[tuple[str, str, bytes]]) -> None:
        self.port = port
        self.queue = iter(messages)
        self.lock = threading.Lock()
        self.stop = threading.Event()  # set when the test is over or the killer failed: stop retrying
        self.acknowledged: list[str] = []
        self.refused: list[tuple[str, int, bytes | str]] = []  # 5xx: must never happen
        self.gave_up: list[str] = []
        self.failed_attempts = 0
        # 250 "already received": the message was committed but its first 250 was lost to a kill.
        self.already_stored = 0

    def next_message(self) -> tuple[str, str, bytes] | None:
        with self.lock:
            return None if self.stop.is_set() else next(self.queue, None)

    def run(self, number: int) -> None:
        rng = random.Random(SEED * 100 + number)
        client: smtplib.SMTP | None = None
        try:
            while (message := self.next_message()) is not None:
                client = self._deliver(client, message, rng)
                time.sleep(rng.uniform(0, MAX_PAUSE_SECONDS))
        finally:
            if client is not None:
                client.close()

    def _deliver(
        self, client: smtplib.SMTP | None, message: tuple[str, str, bytes], rng: random.Random
    ) -> smtplib.SMTP | None:
        """Send one message until it gets 250 or a 5xx, or the attempts run out; returns the connection to reuse."""
        message_id, sender, raw = message
        for attempt in range(ATTEMPTS_PER_MESSAGE):
            if self.stop.is_set():
                break
            try:
                if client is None:
                    client = smtplib.SMTP("127.0.0.1", self.port, timeout=10)
                    client.ehlo("relay.council.example")
                reply = self._transaction(client, sender, raw)
            except smtplib.SMTPResponseException as error:
                if not 400 <= error.smtp_code < 500:
                    with self.lock:
                        self.refused.append((message_id, error.smtp_code, error.smtp_error))
                    return client
            except OSError:  # refused, reset, or smtplib.SMTPServerDisconnected: the listener was killed
                pass
            else:
                with self.lock:
                    self.acknowledged.append(message_id)
                    self.already_stored += b"already received" in reply
                return client
            with self.lock:
                self.failed_attempts += 1
            if client is not None:
                client.close()
                client = None
            time.sleep(min(0.05 * 2**attempt, 0.5) * rng.uniform(0.5, 1.0))
        with self.lock:
            self.gave_up.append(message_id)
        return client

    @staticmethod
    def _transaction(client: smtplib.SMTP, sender: str, raw: bytes) -> bytes:
        """MAIL, RCPT, DATA; the text of the final 250, or an smtplib exception carrying the code."""
        code, reply = client.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = client.rcpt(FEEDBACK_ADDRESS)
        if code not in (250, 251):
            raise smtplib.SMTPResponseException(code, reply)
        code, reply = client.data(raw)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return reply


def crash_messages(count: int) -> list[tuple[str, str, bytes]]:
    """(Message-ID, envelope sender, bytes) for `count` distinct emails from people (not robots)."""
    rng = random.Random(SEED)
    built = []
    for index in range(count):
        sender = f"parent{index % 40}@example.org"
        message_id = f"<crash.{index}.{rng.getrandbits(40):010x}@example.org>"
        message = EmailMessage()
        message["From"] = f"Parent {index % 40} <{sender}>"
        message["To"] = FEEDBACK_ADDRESS
        message["Subject"] = f"School transport for my child, question {index}"
        message["Message-ID"] = message_id
        message["Date"] = "Mon, 02 Mar 2026 09:30:00 +0000"
        message.set_content(f"The bus did not come again this morning (report {index}). Please call me.\n")
        built.append((message_id, sender, message.as_bytes()))
    return built


def message_id_of(raw: bytes) -> str:
    return str(BytesHeaderParser(policy=compat32).parsebytes(raw).get("Message-ID", "")).strip()


def waiting(app: Application) -> int:
    with transaction(app.sessions) as session:
        return session.scalar(select(func.count()).where(InboundMail.status == "received")) or 0


def test_killing_the_listener_at_random_loses_and_duplicates_nothing(
    app: Application, database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    port = free_port()
    messages = crash_messages(MESSAGES)
    relay = Relay(port, messages)
    killer_rng = random.Random(SEED)
    sending_done = threading.Event()
    kills = 0
    killer_errors: list[BaseException] = []
    with (tmp_path / "smtpd.log").open("wb") as log:
        smtpd = Smtpd(database_url, port, log)

        def killer() -> None:
            nonlocal kills
            try:
                while not sending_done.wait(killer_rng.uniform(*KILL_AFTER_SECONDS)):
                    smtpd.kill()
                    kills += 1
                    smtpd.start()
            except BaseException as error:
                killer_errors.append(error)
                relay.stop.set()

        try:
            smtpd.start()
            # Daemon threads, stopped through relay.stop: a failed assertion must not leave them retrying.
            threads = [threading.Thread(target=killer, name="killer", daemon=True)]
            threads += [
                threading.Thread(target=relay.run, args=(n,), name=f"relay-{n}", daemon=True) for n in range(SENDERS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads[1:]:
                thread.join()
            sending_done.set()
            threads[0].join()
            assert not killer_errors, f"the killer failed: {killer_errors[0]!r}"
            sent_for = time.monotonic() - started
            # Once more, untouched, until the worker has made a case of everything stored.
            if smtpd.process is None or smtpd.process.poll() is not None:
                smtpd.start()
            deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
            while (left := waiting(app)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert left == 0, f"{left} messages still waiting for the worker after {DRAIN_TIMEOUT_SECONDS} s"
        finally:
            relay.stop.set()
            sending_done.set()
            smtpd.stop()
    log_tail = (tmp_path / "smtpd.log").read_text(errors="replace")[-3000:]

    assert relay.refused == [], f"a relay was refused permanently: {relay.refused[:3]}\n{log_tail}"
    assert relay.gave_up == [], f"{len(relay.gave_up)} messages never got a 250\n{log_tail}"
    assert len(set(relay.acknowledged)) == len(relay.acknowledged) == MESSAGES

    with transaction(app.sessions) as session:
        inbound = list(session.scalars(select(InboundMail).order_by(InboundMail.id)))
        stored = Counter(message_id_of(mail.raw) for mail in inbound)
        rows = session.execute(select(Message.message_id, Message.case_id).where(Message.inbound_mail_id.is_not(None)))
        cases_for = Counter((message_id, case_id) for message_id, case_id in rows)
        case_count = session.scalar(select(func.count(Case.id)))
    statuses = Counter(mail.status for mail in inbound)

    missing = [mid for mid in relay.acknowledged if stored[mid] == 0]
    doubled = [mid for mid, count in stored.items() if count > 1]
    assert missing == [], f"acknowledged with 250 but not stored: {missing[:5]}"
    assert doubled == [], f"stored more than once: {doubled[:5]}"
    assert statuses == {"processed": len(inbound)}, f"statuses {dict(statuses)}\n{log_tail}"
    assert set(stored) == set(relay.acknowledged)
    messages_per_id = Counter(mid for mid, _ in cases_for)
    assert all(messages_per_id[mid] == 1 for mid in stored), "an email became more than one message, or none"
    assert len({case_id for _, case_id in cases_for}) == len(inbound) == case_count, "each email is its own case"
    assert {mail.case_id for mail in inbound} == {case_id for _, case_id in cases_for}

    print(
        f"\n[{app.engine.dialect.name}] {MESSAGES} messages, {len(relay.acknowledged)} acknowledged "
        f"({relay.already_stored} as 'already received' after a lost 250), {relay.failed_attempts} failed "
        f"attempts retried, {kills} kills, {len(smtpd.start_seconds)} starts "
        f"(mean {sum(smtpd.start_seconds) / len(smtpd.start_seconds):.1f} s to listen), "
        f"sending {sent_for:.1f} s, total {time.monotonic() - started:.1f} s"
    )
    assert kills >= 3, f"only {kills} kills while sending: the test proved little (sending took {sent_for:.1f} s)"
