"""The action server's settings, from environment variables set by whoever starts it (`feedback run`, tests).

FEEDBACK_API_URL and FEEDBACK_CHANNEL_TOKEN are required: the API is how cases are opened and looked up.
The council's numbers are what the assistant tells people; they come from the service's config.yml via
the supervisor, so the chat says what the emails and the status page say.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class ConfigurationError(RuntimeError):
    """The action server cannot run as configured; the message names the variable."""


@dataclass(frozen=True)
class BotConfig:
    api_url: str
    channel_token: str
    council_name: str
    council_phone: str
    council_hours: str
    front_door_phone: str
    timeout_seconds: float


@lru_cache(maxsize=1)
def load() -> BotConfig:
    """Read and check the environment once."""
    api_url = _required("FEEDBACK_API_URL").rstrip("/")
    if not api_url.startswith(("http://", "https://")):
        raise ConfigurationError("FEEDBACK_API_URL must start with http:// or https://")
    token = _required("FEEDBACK_CHANNEL_TOKEN")
    if len(token) < 24:
        raise ConfigurationError("FEEDBACK_CHANNEL_TOKEN must be at least 24 characters")
    try:
        timeout = float(os.environ.get("FEEDBACK_API_TIMEOUT", "10"))
    except ValueError:
        raise ConfigurationError("FEEDBACK_API_TIMEOUT must be a number of seconds") from None
    return BotConfig(
        api_url=api_url,
        channel_token=token,
        council_name=os.environ.get("FEEDBACK_COUNCIL_NAME", "the County Council"),
        council_phone=os.environ.get("FEEDBACK_COUNCIL_PHONE", "01234 567890"),
        council_hours=os.environ.get("FEEDBACK_COUNCIL_HOURS", "Monday to Friday, 9am to 5pm"),
        front_door_phone=os.environ.get("FEEDBACK_FRONT_DOOR_PHONE", "01234 567000"),
        timeout_seconds=timeout,
    )


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set; the action server needs it to reach the feedback API")
    return value
