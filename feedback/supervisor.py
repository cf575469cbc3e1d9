"""`feedback run`: start every part of the stack as its own process, say where each is, stop them together.

Each part is an ordinary command (`feedback serve`, …) that can also run alone or be scaled separately; this
only starts them, waits until each answers, and on Ctrl-C (or when any part dies) stops them all.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import click

from feedback.settings import DEFAULT_CONFIG_PATH, Settings

STARTUP_SECONDS = 60
STOP_SECONDS = 10


@dataclass
class Part:
    name: str
    command: list[str]
    # Where the part answers once it is up: an http:// URL that must answer 200, or tcp://host:port.
    ready_url: str | None = None
    announce: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None


def run_stack(settings: Settings, config: Path | None) -> int:
    """Run until interrupted; the exit status is 0 after Ctrl-C, 1 if a part failed."""
    env = _environment(config)
    web = f"http://{settings.web.host}:{settings.web.port}"
    smtp, relay = settings.smtp, settings.mail.relay
    feedback = [sys.executable, "-m", "feedback"]
    parts = [
        Part(
            "mail sink",
            [*feedback, "mail-sink"],
            ready_url=f"tcp://{relay.host}:{relay.port}",
            announce=[f"Mail we send (local sink, in place of the council's relay): {settings.mail.sink_directory}"],
        ),
        Part(
            "web + API + email channel",
            [*feedback, "serve"],
            ready_url=f"{web}/api/health",
            announce=[
                f"API and its docs: {web}/docs",
                f"Citizen status page: {web}/status",
                f"Send mail to {', '.join(smtp.recipients)} via SMTP at {smtp.host}:{smtp.port}",
            ],
        ),
        Part("scheduler", [*feedback, "scheduler"], announce=["Scheduled jobs: reminders, escalations, digests"]),
    ]
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for part in parts:
            part.process = subprocess.Popen(part.command, env=env)  # noqa: S603 (our own commands)
        for part in parts:
            _wait_ready(part, lambda: stopping)
        if not stopping:
            click.echo("\nThe feedback service is running:")
            for part in parts:
                for line in part.announce:
                    click.echo(f"  {line}")
            click.echo("Press Ctrl-C to stop.\n")
        while not stopping:
            failed = [part for part in parts if part.process and part.process.poll() is not None]
            if failed:
                click.echo(f"{failed[0].name} stopped unexpectedly; stopping the rest.", err=True)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop_all(parts)


def _environment(config: Path | None) -> dict[str, str]:
    """The parts' environment, with a channel token for the chat assistant generated once under var/."""
    env = dict(os.environ)
    if config is not None:
        env["FEEDBACK_CONFIG"] = str(config)
    var = (config or DEFAULT_CONFIG_PATH).resolve().parent / "var"
    var.mkdir(exist_ok=True)
    token_file = var / "channel-token"
    if not token_file.exists():
        token_file.write_text(secrets.token_urlsafe(32))
        token_file.chmod(0o600)
    env.setdefault("FEEDBACK_WEB__CHANNEL_TOKENS", f"[{token_file.read_text().strip()}]")
    return env


def _wait_ready(part: Part, stopping: Callable[[], bool]) -> None:
    if part.ready_url is None:
        return
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and not stopping():
        if part.process is not None and part.process.poll() is not None:
            raise click.ClickException(f"{part.name} exited during start-up (status {part.process.returncode})")
        if _answers(part.ready_url):
            return
        time.sleep(0.3)
    if not stopping():
        raise click.ClickException(f"{part.name} did not answer at {part.ready_url} within {STARTUP_SECONDS}s")


def _answers(url: str) -> bool:
    try:
        if url.startswith("tcp://"):
            host, port = url.removeprefix("tcp://").rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=2):
                return True
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own URL)
            return bool(response.status == 200)
    except OSError:
        return False


def _stop_all(parts: list[Part]) -> None:
    running = [part for part in parts if part.process and part.process.poll() is None]
    for part in running:
        assert part.process is not None
        part.process.terminate()
    for part in running:
        assert part.process is not None
        try:
            part.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            part.process.kill()
    click.echo("Stopped.")
