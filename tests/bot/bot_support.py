"""Helpers for the assistant's tests: real processes on free ports, a REST conversation, and the store read back.

The stack is the one `feedback run` starts (feedback.assistant builds the same commands): the API
(`feedback serve --api-only`) on a SQLite file, the action server and the Rasa server from .venv-bot
with the model `make` trained. Each conversation has its own sender id, so tests share one stack.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.access import find_case
from store.db import transaction
from store.models import Case, Message

REPO = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"FB-[0-9A-Z]{4}-[0-9A-Z]{3}[0-9A-Z*~$=]")
FEEDBACK = [str(REPO / ".venv" / "bin" / "python"), "-m", "feedback"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_answers(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    """Poll `url` until it answers 200; a process that exits or never answers fails with its log's tail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited ({process.returncode}):\n{tail(log)}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"nothing answered at {url} within {seconds}s:\n{tail(log)}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


@contextmanager
def running(
    argv: list[str], *, env: dict[str, str], log: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A real process, stopped (terminate, then kill) however the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class ApiServer:
    """`feedback serve --api-only` that a test may stop and start again (the API going down mid-conversation)."""

    def __init__(self, env: dict[str, str], log: Path, health_url: str) -> None:
        self.env, self.log, self.health_url = env, log, health_url
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*FEEDBACK, "serve", "--api-only"], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_until_answers(self.health_url, self.process, self.log, 60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass(frozen=True)
class Stack:
    api_url: str
    rasa_url: str
    channel_token: str
    sessions: sessionmaker[Session]
    front_door_phone: str
    council_phone: str
    api: ApiServer

    @property
    def chat_url(self) -> str:
        return f"{self.api_url}/chat"

    def conversation(self) -> Chat:
        return Chat(self.rasa_url)

    def case(self, reference: str) -> StoredCase:
        """The case as the store holds it, read in a fresh transaction."""
        with transaction(self.sessions) as session:
            case = find_case(session, reference)
            assert case is not None, f"{reference} is not in the store"
            bodies = session.scalars(select(Message.body).where(Message.case_id == case.id).order_by(Message.id))
            return StoredCase(case, list(bodies))

    def case_count(self) -> int:
        with transaction(self.sessions) as session:
            return len(session.scalars(select(Case.id)).all())

    def open_case(self, **body: Any) -> dict[str, Any]:
        """Open a case through the API as the chat channel would (for status lookups)."""
        response = httpx.post(
            f"{self.api_url}/api/cases", json={"channel": "web_chat", **body},
            headers={"Authorization": f"Bearer {self.channel_token}"}, timeout=30,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@dataclass(frozen=True)
class StoredCase:
    case: Case
    messages: list[str]


@dataclass
class Reply:
    texts: list[str] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def reference(self) -> str | None:
        found = REFERENCE.search(self.text)
        return found.group(0) if found else None


class Chat:
    """One person's conversation over Rasa's REST channel, as the chat page has it."""

    def __init__(self, rasa_url: str) -> None:
        self.webhook = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = f"test-{secrets.token_hex(8)}"
        self.transcript: list[str] = []

    def say(self, message: str) -> Reply:
        response = httpx.post(self.webhook, json={"sender": self.sender, "message": message}, timeout=60)
        assert response.status_code == 200, response.text
        reply = Reply()
        for part in response.json():
            if part.get("text"):
                reply.texts.append(part["text"])
            reply.buttons += [button["title"] for button in part.get("buttons", [])]
        self.transcript += [f"> {message[:200]}", *reply.texts]
        return reply

    def script(self, *messages: str) -> Reply:
        """Say each message in turn; the last reply."""
        reply = Reply()
        for message in messages:
            reply = self.say(message)
        return reply


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without the developer's FEEDBACK_* settings, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDBACK_")}
    return {**env, **extra}
