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

from feedback import assistant
from feedback.settings import DEFAULT_CONFIG_PATH, Settings

STARTUP_SECONDS = 60
# Rasa loads TensorFlow and the model before it answers: about 20 s on two cores, more on a busy machine.
ASSISTANT_STARTUP_SECONDS = 180
STOP_SECONDS = 10


@dataclass
class Part:
    name: str
    command: list[str]
    # Where the part answers once it is up: an http:// URL that must answer 200, or tcp://host:port.
    ready_url: str | None = None
    announce: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    startup_seconds: int = STARTUP_SECONDS


def run_stack(settings: Settings, config: Path | None) -> int:
    """Run until interrupted; the exit status is 0 after Ctrl-C, 1 if a part failed."""
    env, channel_token = _environment(settings, config)
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
    if settings.bot.enabled:
        parts += _assistant_parts(settings, web, channel_token, _var(config))
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for part in parts:
            part.process = subprocess.Popen(part.command, env={**env, **part.env}, cwd=part.cwd)  # noqa: S603 (ours)
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


def _assistant_parts(settings: Settings, web: str, channel_token: str, var: Path) -> list[Part]:
    """The Rasa server and its action server, from the assistant's own environment (.venv-bot)."""
    try:
        assistant.check_installed(settings.bot)
    except assistant.AssistantUnavailable as error:
        raise click.ClickException(f"{error} (or set bot.enabled: false)") from None
    actions = assistant.action_server(settings, api_url=web, channel_token=channel_token)
    rasa = assistant.rasa_server(settings, runtime_dir=var)
    chat = settings.web.public_url.rstrip("/") + "/chat"
    return [
        Part("assistant's action server", actions.argv, actions.ready_url, cwd=actions.cwd, env=actions.env,
             startup_seconds=ASSISTANT_STARTUP_SECONDS),
        Part("assistant (Rasa)", rasa.argv, rasa.ready_url, cwd=rasa.cwd, env=rasa.env,
             startup_seconds=ASSISTANT_STARTUP_SECONDS,
             announce=[f"Chat with the assistant: {chat}",
                       f"Assistant's REST channel: {settings.bot.public_url.rstrip('/')}/webhooks/rest/webhook"]),
    ]  # fmt: skip


def _environment(settings: Settings, config: Path | None) -> tuple[dict[str, str], str]:
    """The parts' environment, with a channel token for the chat assistant generated once under var/.

    Returns the environment and the token the assistant's action server presents to the API.
    """
    env = dict(os.environ)
    if config is not None:
        env["FEEDBACK_CONFIG"] = str(config)
    var = _var(config)
    token_file = var / "channel-token"
    if not token_file.exists():
        token_file.write_text(secrets.token_urlsafe(32))
        token_file.chmod(0o600)
    generated = token_file.read_text().strip()
    if "FEEDBACK_WEB__CHANNEL_TOKENS" in env and settings.web.channel_tokens:
        return env, settings.web.channel_tokens[0]
    env["FEEDBACK_WEB__CHANNEL_TOKENS"] = f"[{generated}]"
    return env, generated


def _var(config: Path | None) -> Path:
    """var/ beside the config file: runtime files (the channel token, the assistant's endpoints)."""
    var = (config or DEFAULT_CONFIG_PATH).resolve().parent / "var"
    var.mkdir(exist_ok=True)
    return var


def _wait_ready(part: Part, stopping: Callable[[], bool]) -> None:
    if part.ready_url is None:
        return
    deadline = time.monotonic() + part.startup_seconds
    while time.monotonic() < deadline and not stopping():
        if part.process is not None and part.process.poll() is not None:
            raise click.ClickException(f"{part.name} exited during start-up (status {part.process.returncode})")
        if _answers(part.ready_url):
            return
        time.sleep(0.3)
    if not stopping():
        raise click.ClickException(f"{part.name} did not answer at {part.ready_url} within {part.startup_seconds}s")


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
