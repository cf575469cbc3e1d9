"""How to start the chat assistant's two processes: the Rasa server and its action server, from .venv-bot.

Rasa 3.6 needs Python 3.10 and old libraries, so it cannot share the application's environment; these
are ordinary commands in that environment, started by `feedback run` (and the same way by the tests and
benchmarks, so what they measure is what runs). The action server reaches cases only through the API,
with a channel token, and takes the council's numbers from here, so the chat says what the emails say.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from feedback.settings import BotSettings, Settings

REPO = Path(__file__).resolve().parent.parent
BOT_DIR = REPO / "bot"
RASA = REPO / ".venv-bot" / "bin" / "rasa"
# Rasa and TensorFlow print pages of deprecation warnings at start; they say nothing about our setup.
QUIET = {"PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}


class AssistantUnavailable(Exception):
    """The assistant cannot start: its environment or its trained model is missing. The message says how to fix it."""


@dataclass(frozen=True)
class Command:
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    ready_url: str


def check_installed(bot: BotSettings) -> None:
    if not RASA.exists():
        raise AssistantUnavailable(f"{RASA} is missing: run `make install` to build the assistant's environment")
    if not bot.model.is_file():
        raise AssistantUnavailable(f"the assistant's model {bot.model} is missing: run `make bot-model` to train it")


def action_server(settings: Settings, *, api_url: str, channel_token: str) -> Command:
    """`rasa run actions`: the custom actions, calling the API at `api_url` as the chat channel."""
    bot = settings.bot
    council = settings.council
    env = {
        **QUIET,
        "FEEDBACK_API_URL": api_url,
        "FEEDBACK_CHANNEL_TOKEN": channel_token,
        "FEEDBACK_COUNCIL_NAME": council.name,
        "FEEDBACK_COUNCIL_PHONE": council.phone,
        "FEEDBACK_COUNCIL_HOURS": council.hours,
        "FEEDBACK_FRONT_DOOR_PHONE": bot.front_door_phone,
    }
    argv = [str(RASA), "run", "actions", "--actions", "actions", "--port", str(bot.action_port)]
    return Command(argv, BOT_DIR, env, f"http://{bot.host}:{bot.action_port}/health")


def rasa_server(settings: Settings, *, runtime_dir: Path, api_token: str | None = None) -> Command:
    """`rasa run` with the REST and socket.io channels, answering the chat page's origin only.

    Rasa's own HTTP API (--enable-api: trackers, model replacement) is locked with a token nobody is given
    unless they pass one: conversations hold personal details, and the chat needs only the channels.
    With `bot.tracker_store` set, an endpoints file naming it is written to `runtime_dir` (it may hold a
    database password, so it is private to its owner and kept out of bot/).
    """
    bot = settings.bot
    endpoints = BOT_DIR / "endpoints.yml"
    if bot.tracker_store:
        endpoints = _endpoints_with_tracker_store(bot.tracker_store, runtime_dir)
    argv = [
        str(RASA), "run", "--enable-api", "--auth-token", api_token or secrets.token_urlsafe(32),
        "--model", str(bot.model), "--interface", bot.host, "--port", str(bot.port),
        "--credentials", "credentials.yml", "--endpoints", str(endpoints),
        "--cors", _origin(settings.web.public_url), "--quiet",
    ]  # fmt: skip
    env = {**QUIET, "ACTION_SERVER_URL": f"http://{bot.host}:{bot.action_port}/webhook"}
    # "/" answers only once the model is loaded: Rasa loads it before it starts serving.
    return Command(argv, BOT_DIR, env, f"http://{bot.host}:{bot.port}/")


def _endpoints_with_tracker_store(url: str, runtime_dir: Path) -> Path:
    """bot/endpoints.yml plus Rasa's SQL tracker store at `url` (Rasa takes a full URL as its `url`)."""
    endpoints = yaml.safe_load((BOT_DIR / "endpoints.yml").read_text())
    dialect = "sqlite" if url.startswith("sqlite:") else "postgresql"
    endpoints["tracker_store"] = {"type": "SQL", "dialect": dialect, "url": url}
    runtime_dir.mkdir(parents=True, exist_ok=True)
    path = runtime_dir / "bot-endpoints.yml"
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(yaml.safe_dump(endpoints))
    return path


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
