"""Settings: `config.yml` plus environment overrides, validated once at start-up.

A bad value stops start-up with a message naming the key (`procedures.statutory.stage1.response_days`),
not a traceback at 3 a.m. Environment variables override the file for secrets and deployment:
`FEEDBACK_DATABASE__URL=postgresql+psycopg://…` sets `database.url` (double underscore = one level down).
Values from the environment are parsed as YAML scalars, so `FEEDBACK_WEB__PORT=8080` is a number.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from classifiers.rules import Gazetteer
from intake.config import CouncilSettings, ListenerSettings, MailSettings
from jobs.settings import JobsSettings
from store.labels import HEADS, SERVICES
from store.policy import ProcedurePolicy

ENV_PREFIX = "FEEDBACK_"
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config.yml"
MAX_CONFIG_BYTES = 1_000_000


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///var/feedback.db"

    @field_validator("url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("use sqlite:///path or postgresql+psycopg://user@host:port/database")
        try:
            make_url(url)
        except (ArgumentError, ValueError):
            # Not the URL itself in the message: it may hold a password.
            raise ValueError("not a valid database URL (is the port a number?)") from None
        return url


class StatusLookupLimit(_Section):
    attempts: int = Field(10, ge=1, le=10_000)
    per_minutes: int = Field(15, ge=1, le=24 * 60)


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = Field(256_000, ge=1_000)
    status_lookup_limit: StatusLookupLimit = StatusLookupLimit()
    # Bearer tokens for channels that open cases on a citizen's behalf (the chat assistant's action server).
    # Keep real values out of the file: set FEEDBACK_WEB__CHANNEL_TOKENS='[token1, token2]'.
    channel_tokens: tuple[str, ...] = ()

    @field_validator("channel_tokens")
    @classmethod
    def _long_enough(cls, tokens: tuple[str, ...]) -> tuple[str, ...]:
        if any(len(token) < 24 for token in tokens):
            raise ValueError("each channel token must be at least 24 characters")
        return tokens


class CalendarSettings(_Section):
    timezone: Literal["Europe/London"] = "Europe/London"
    first_year: int = Field(2015, ge=2000)
    known_until_year: int = Field(2030, le=2100)
    extra_closures: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> CalendarSettings:
        if self.known_until_year < self.first_year:
            raise ValueError("known_until_year must not be before first_year")
        outside = [
            day.isoformat() for day in self.extra_closures if not self.first_year <= day.year <= self.known_until_year
        ]
        if outside:
            raise ValueError(f"extra_closures {outside} fall outside {self.first_year}-{self.known_until_year}")
        return self


class TeamSettings(_Section):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    name: str = Field(min_length=2, max_length=120)
    email: EmailStr
    directorate: str = Field(min_length=2, max_length=120)
    # The classifier's service label(s) this team owns; the CRT owns `crt`.
    services: tuple[str, ...] = ()

    @field_validator("services")
    @classmethod
    def _known_services(cls, services: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(services) - set(SERVICES))
        if unknown:
            raise ValueError(f"unknown service label(s) {unknown}; see shared/design/labels.md")
        return services


class StaffSettings(_Section):
    email: EmailStr
    name: str = Field(min_length=2, max_length=120)
    team: str
    role: Literal["officer", "manager"] = "officer"


class BotSettings(_Section):
    """The chat assistant: the Rasa server and its action server, started by `feedback run` from .venv-bot."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(5005, ge=1, le=65535)
    # Where a browser reaches the Rasa server's REST webhook: the chat page posts there.
    public_url: str = Field("http://127.0.0.1:5005", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    action_port: int = Field(5055, ge=1, le=65535)
    # The trained model, a build output of `make` (relative to config.yml).
    model: Path = Path("bot/models/feedback.tar.gz")
    # Children's front door (Children's Initial Response): the assistant gives it, with 999, to anyone who
    # says a child is at risk of harm now.
    front_door_phone: str = Field("01234 567000", min_length=6, max_length=40)
    # Where Rasa keeps conversations: unset, in the Rasa server's memory (lost on restart, one instance);
    # a sqlite:///path or postgresql://user@host:port/database URL for Rasa's SQL tracker store, which
    # conversations survive and several Rasa instances can share (with Rasa's Redis lock store).
    tracker_store: str | None = Field(None, pattern=r"^(sqlite:///|postgresql://)\S+$")

    @model_validator(mode="after")
    def _two_ports(self) -> BotSettings:
        if self.port == self.action_port:
            raise ValueError("port and action_port must differ")
        return self


class SafeguardingSettings(_Section):
    route_to: str = "childrens_initial_response"
    phrases: tuple[Annotated[str, Field(min_length=3, max_length=100)], ...] = Field(min_length=1)

    @field_validator("route_to")
    @classmethod
    def _known_service(cls, service: str) -> str:
        if service not in SERVICES:
            raise ValueError(f"unknown service label {service!r}; see shared/design/labels.md")
        return service


class ClassifierSettings(_Section):
    models_dir: Path = Path("classifiers/build/models")
    poll_seconds: float = Field(2.0, gt=0, le=3600)
    thresholds: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = {}
    safeguarding: SafeguardingSettings = SafeguardingSettings(phrases=("at risk of harm",))
    areas: dict[str, tuple[Annotated[str, Field(min_length=2, max_length=80)], ...]] = {}

    @field_validator("thresholds")
    @classmethod
    def _known_heads(cls, thresholds: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(thresholds) - set(HEADS))
        if unknown:
            raise ValueError(f"unknown head(s) {unknown}; the heads are {', '.join(HEADS)}")
        return thresholds

    @field_validator("areas")
    @classmethod
    def _one_area_per_place(cls, areas: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        Gazetteer(areas)  # raises ValueError naming a place listed for two areas
        return areas


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    web: WebSettings = WebSettings()
    calendar: CalendarSettings = CalendarSettings()
    procedures: ProcedurePolicy = ProcedurePolicy()
    smtp: ListenerSettings = ListenerSettings()
    mail: MailSettings = MailSettings()
    council: CouncilSettings = CouncilSettings()
    bot: BotSettings = BotSettings()
    classifiers: ClassifierSettings = ClassifierSettings()
    jobs: JobsSettings = JobsSettings()
    crt_team: str = "crt"
    teams: tuple[TeamSettings, ...] = Field(min_length=1)
    staff: tuple[StaffSettings, ...] = ()

    @model_validator(mode="after")
    def _directory_is_consistent(self) -> Settings:
        team_ids = [team.id for team in self.teams]
        if len(set(team_ids)) != len(team_ids):
            raise ValueError("teams: each team id must appear once")
        if self.crt_team not in team_ids:
            raise ValueError(f"crt_team {self.crt_team!r} is not one of the teams")
        owners: dict[str, str] = {}
        for team in self.teams:
            for service in team.services:
                if service in owners:
                    raise ValueError(f"service {service!r} is owned by both {owners[service]} and {team.id}")
                owners[service] = team.id
        emails = [member.email.lower() for member in self.staff]
        if len(set(emails)) != len(emails):
            raise ValueError("staff: each email must appear once")
        for member in self.staff:
            if member.team not in team_ids:
                raise ValueError(f"staff member {member.name!r} belongs to unknown team {member.team!r}")
        for area in self.classifiers.areas:
            if area not in team_ids:
                raise ValueError(f"classifiers.areas: {area!r} is not one of the teams")
        return self

    def team_for_service(self, service: str) -> str:
        """The team that owns a service label; unowned labels go to the CRT, who route them by hand."""
        for team in self.teams:
            if service in team.services:
                return team.id
        return self.crt_team


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate the configuration, or raise ConfigError naming the bad key."""
    environ = os.environ if environ is None else environ
    path = path or Path(environ.get("FEEDBACK_CONFIG", DEFAULT_CONFIG_PATH))
    raw = _read_yaml(path)
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX) and key != "FEEDBACK_CONFIG" and "__" in key[len(ENV_PREFIX) :]:
            _set_path(raw, key[len(ENV_PREFIX) :].lower().split("__"), _parse_env_value(key, value))
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_describe(path, error)) from None
    return _anchor_relative_paths(settings, path.resolve().parent)


def _anchor_relative_paths(settings: Settings, base: Path) -> Settings:
    """Relative paths (the SQLite file, the mail sink, the assistant's model) are relative to config.yml, not to
    the current directory."""
    if not settings.bot.model.is_absolute():
        settings = settings.model_copy(
            update={"bot": settings.bot.model_copy(update={"model": base / settings.bot.model})}
        )
    tracker = settings.bot.tracker_store
    if tracker and tracker.startswith("sqlite:///") and not tracker.startswith("sqlite:////"):
        anchored_tracker = f"sqlite:///{base / tracker.removeprefix('sqlite:///')}"
        settings = settings.model_copy(
            update={"bot": settings.bot.model_copy(update={"tracker_store": anchored_tracker})}
        )
    sink = settings.mail.sink_directory
    if not sink.is_absolute():
        settings = settings.model_copy(
            update={"mail": settings.mail.model_copy(update={"sink_directory": base / sink})}
        )
    models = settings.classifiers.models_dir
    if not models.is_absolute():
        settings = settings.model_copy(
            update={"classifiers": settings.classifiers.model_copy(update={"models_dir": base / models})}
        )
    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return settings
    if Path(url.database).is_absolute():
        return settings
    anchored = url.set(database=str(base / url.database)).render_as_string(hide_password=False)
    return settings.model_copy(update={"database": DatabaseSettings(url=anchored)})


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; is this the right file?")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the configuration ({error})") from None
    try:
        raw = yaml.safe_load(text)
    except _YAML_ERRORS as error:
        raise ConfigError(f"{path}: not valid YAML ({_yaml_problem(error)})") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not {type(raw).__name__}")
    return raw


def _parse_env_value(key: str, value: str) -> Any:
    try:
        return yaml.safe_load(value)
    except _YAML_ERRORS:
        # No detail: YAML's message quotes the value, and environment variables carry the secrets.
        raise ConfigError(f"environment variable {key}: not a valid value") from None


# Besides YAMLError, PyYAML's constructors raise ValueError for a value they cannot build (a date such as
# 2026-02-30, an integer of more than 4300 digits), and its composer recurses once per level of nesting.
_YAML_ERRORS = (yaml.YAMLError, ValueError, RecursionError)


def _yaml_problem(error: Exception) -> str:
    return "nested too deeply" if isinstance(error, RecursionError) else str(error)


def _set_path(raw: dict[str, Any], keys: list[str], value: Any) -> None:
    node = raw
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"environment override {'.'.join(keys)}: {key} is not a section")
        node = child
    node[keys[-1]] = value


def _describe(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {key}: {problem['msg']}")
    return "\n".join(lines)
