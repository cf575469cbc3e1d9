"""feedback.settings.load_settings: config.yml plus FEEDBACK_* overrides, and a ConfigError naming the key
for anything wrong (never a traceback from deep inside YAML or pydantic)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from feedback.application import Application
from feedback.settings import DEFAULT_CONFIG_PATH, MAX_CONFIG_BYTES, ConfigError, Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
REPO_CONFIG = REPO / "config.yml"

WriteConfig = Callable[..., Path]


def repo_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(REPO_CONFIG.read_text())
    return loaded


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Factory: write the repository's config.yml, changed by `change(config)`, to a temporary file."""

    def write(change: Callable[[dict[str, Any]], object] | None = None, *, name: str = "config.yml") -> Path:
        config = repo_config()
        if change is not None:
            change(config)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config, allow_unicode=True))
        return path

    return write


def refused(path: Path, environ: dict[str, str] | None = None) -> str:
    """The ConfigError message for a configuration that must not load."""
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ=environ or {})
    return str(raised.value)


# --- the repository's own configuration ---------------------------------------------------------------------


def test_the_repositorys_config_loads() -> None:
    settings = load_settings(REPO_CONFIG, environ={})

    assert settings.crt_team == "crt"
    assert len(settings.teams) == 17
    assert {member.email for member in settings.staff} >= {
        "alex.morgan@council.example",
        "lee.khan@council.example",
        "robin.shaw@council.example",
    }
    assert settings.web.port == 8000
    assert settings.web.channel_tokens == ()
    assert settings.web.status_lookup_limit.attempts == 10
    assert settings.web.status_lookup_limit.per_minutes == 15
    assert settings.procedures.statutory.stage1.response_days == 10
    assert settings.procedures.statutory.stage1.limit_days == 20
    assert settings.procedures.corporate.stage1.acknowledge_days == 5
    assert settings.team_for_service("school_admissions") == "school_admissions"
    assert settings.team_for_service("childrens_team") == "crt"  # no team owns it yet: the CRT routes it


def test_the_repositorys_database_is_beside_the_config() -> None:
    settings = load_settings(REPO_CONFIG, environ={})
    assert settings.database.url == f"sqlite:///{REPO / 'var' / 'feedback.db'}"


def test_the_default_path_is_the_repositorys_config_unless_feedback_config_says_otherwise(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert DEFAULT_CONFIG_PATH == REPO_CONFIG
    monkeypatch.delenv("FEEDBACK_CONFIG", raising=False)
    assert load_settings(environ={}).web.port == 8000

    other = write_config(lambda config: config["web"].update(port=9001))
    assert load_settings(environ={"FEEDBACK_CONFIG": str(other)}).web.port == 9001
    monkeypatch.setenv("FEEDBACK_CONFIG", str(other))
    assert load_settings().web.port == 9001


def test_the_settings_are_frozen() -> None:
    settings = load_settings(REPO_CONFIG, environ={})
    with pytest.raises(ValueError, match="frozen"):
        settings.web.port = 1  # type: ignore[misc]


# --- environment overrides ------------------------------------------------------------------------------------


def test_environment_variables_override_the_file() -> None:
    token = "a-channel-token-of-plenty-characters-0123"
    settings = load_settings(
        REPO_CONFIG,
        environ={
            "FEEDBACK_DATABASE__URL": "postgresql+psycopg://feedback:s3cret@db.council.example:5432/feedback",
            "FEEDBACK_WEB__PORT": "8080",
            "FEEDBACK_WEB__CHANNEL_TOKENS": f"[{token}, {token[::-1]}]",
            "FEEDBACK_WEB__STATUS_LOOKUP_LIMIT__ATTEMPTS": "3",
            "FEEDBACK_PROCEDURES__STATUTORY__STAGE1__RESPONSE_DAYS": "12",
            "FEEDBACK_CALENDAR__EXTRA_CLOSURES": "[2026-12-29, 2026-12-30]",
        },
    )

    assert settings.database.url == "postgresql+psycopg://feedback:s3cret@db.council.example:5432/feedback"
    assert settings.web.port == 8080
    assert isinstance(settings.web.port, int)
    assert settings.web.channel_tokens == (token, token[::-1])
    assert settings.web.status_lookup_limit.attempts == 3
    assert settings.web.status_lookup_limit.per_minutes == 15  # the rest of the section stays
    assert settings.procedures.statutory.stage1.response_days == 12
    assert settings.procedures.statutory.stage1.limit_days == 20
    assert settings.calendar.extra_closures == (date(2026, 12, 29), date(2026, 12, 30))


def test_keys_in_the_environment_are_case_insensitive() -> None:
    assert load_settings(REPO_CONFIG, environ={"FEEDBACK_web__Port": "8081"}).web.port == 8081


def test_unrelated_environment_variables_are_ignored() -> None:
    settings = load_settings(
        REPO_CONFIG,
        environ={
            "FEEDBACK_CONFIG": "/does/not/matter.yml",
            "FEEDBACK_AS": "alex.morgan@council.example",  # the CLI's, with no "__": not a setting
            "WEB__PORT": "1",
            "PATH": "/usr/bin",
        },
    )
    assert settings.web.port == 8000


def test_an_override_of_an_unknown_key_is_named() -> None:
    message = refused(REPO_CONFIG, {"FEEDBACK_WEB__PROT": "8080"})
    assert "web.prot" in message
    assert "Extra inputs are not permitted" in message


def test_an_override_with_a_bad_value_is_named() -> None:
    assert "web.port" in refused(REPO_CONFIG, {"FEEDBACK_WEB__PORT": "eighty"})
    assert "web.port" in refused(REPO_CONFIG, {"FEEDBACK_WEB__PORT": "70000"})


def test_an_unparseable_override_is_named_without_its_value() -> None:
    secret = "[s3cret-password"
    message = refused(REPO_CONFIG, {"FEEDBACK_DATABASE__URL": secret})
    assert "FEEDBACK_DATABASE__URL" in message
    assert "s3cret" not in message
    assert "FEEDBACK_WEB__PORT" in refused(REPO_CONFIG, {"FEEDBACK_WEB__PORT": "[" * 1_500})


def test_an_override_below_a_value_is_refused() -> None:
    message = refused(REPO_CONFIG, {"FEEDBACK_WEB__PORT__NUMBER": "8080"})
    assert "web.port.number" in message
    assert "port is not a section" in message


def test_a_bad_password_in_a_database_override_is_not_printed() -> None:
    message = refused(REPO_CONFIG, {"FEEDBACK_DATABASE__URL": "postgresql+psycopg://u:hunter2@db:port/x"})
    assert "database.url" in message
    assert "hunter2" not in message


# --- bad values, each named --------------------------------------------------------------------------------------


def _team(config: dict[str, Any], team_id: str) -> dict[str, Any]:
    team: dict[str, Any] = next(team for team in config["teams"] if team["id"] == team_id)
    return team


BAD_VALUES: list[tuple[str, Callable[[dict[str, Any]], object], list[str]]] = [
    (
        "zero response days",
        lambda c: c["procedures"]["statutory"]["stage1"].update(response_days=0),
        ["procedures.statutory.stage1.response_days", "greater than or equal to 1"],
    ),
    (
        "limit before response",
        lambda c: c["procedures"]["statutory"]["stage1"].update(response_days=10, limit_days=5),
        ["procedures.statutory.stage1", "limit_days must be at least response_days"],
    ),
    (
        "corporate stage without acknowledgement",
        lambda c: c["procedures"]["corporate"]["stage2"].pop("acknowledge_days"),
        ["procedures.corporate", "corporate stages need acknowledge_days"],
    ),
    ("typo in a section", lambda c: c["web"].update(prot=8000), ["web.prot", "Extra inputs are not permitted"]),
    ("typo at the top", lambda c: c.update(databse={"url": "sqlite://"}), ["databse", "Extra inputs"]),
    (
        "typo in a procedure",
        lambda c: c["procedures"]["statutory"]["stage1"].update(respond_days=10),
        ["procedures.statutory.stage1.respond_days"],
    ),
    (
        "staff in an unknown team",
        lambda c: c["staff"].append({"email": "new@council.example", "name": "New Person", "team": "parks"}),
        ["staff member 'New Person' belongs to unknown team 'parks'"],
    ),
    (
        "duplicate team id",
        lambda c: c["teams"].append({**_team(c, "sendar"), "services": []}),
        ["teams: each team id must appear once"],
    ),
    (
        "service owned twice",
        lambda c: _team(c, "early_help")["services"].append("sendar"),
        ["service 'sendar' is owned by both"],
    ),
    (
        "unknown service label",
        lambda c: _team(c, "early_help")["services"].append("parking"),
        ["teams.11.services", "unknown service label(s) ['parking']"],
    ),
    (
        "mysql database",
        lambda c: c["database"].update(url="mysql://u@h/db"),
        ["database.url", "use sqlite:///path or postgresql+psycopg://"],
    ),
    (
        "postgresql without the psycopg driver",
        lambda c: c["database"].update(url="postgresql://u@h/db"),
        ["database.url"],
    ),
    (
        "unparseable database url",
        lambda c: c["database"].update(url="postgresql+psycopg://u@h:port/db"),
        ["database.url"],
    ),
    (
        "short channel token",
        lambda c: c["web"].update(channel_tokens=["short-token"]),
        ["web.channel_tokens", "at least 24 characters"],
    ),
    ("channel tokens not a list", lambda c: c["web"].update(channel_tokens={"a": 1}), ["web.channel_tokens"]),
    ("port out of range", lambda c: c["web"].update(port=70_000), ["web.port"]),
    ("port as words", lambda c: c["web"].update(port="eighty"), ["web.port"]),
    ("tiny body limit", lambda c: c["web"].update(max_body_bytes=10), ["web.max_body_bytes"]),
    (
        "no lookups allowed",
        lambda c: c["web"]["status_lookup_limit"].update(attempts=0),
        ["web.status_lookup_limit.attempts"],
    ),
    ("crt not a team", lambda c: c.update(crt_team="customer_relations"), ["crt_team 'customer_relations'"]),
    ("no teams", lambda c: c.update(teams=[]), ["teams", "at least 1 item"]),
    ("team id with spaces", lambda c: c["teams"][0].update(id="Customer Relations"), ["teams.0.id"]),
    ("team email", lambda c: c["teams"][0].update(email="not-an-email"), ["teams.0.email"]),
    ("staff email", lambda c: c["staff"][0].update(email="alex.morgan"), ["staff.0.email"]),
    ("staff role", lambda c: c["staff"][0].update(role="boss"), ["staff.0.role"]),
    (
        "the same person twice",
        lambda c: c["staff"].append({**c["staff"][0], "email": c["staff"][0]["email"].upper()}),
        ["staff: each email must appear once"],
    ),
    ("calendar years backwards", lambda c: c["calendar"].update(known_until_year=2010), ["calendar"]),
    ("another time zone", lambda c: c["calendar"].update(timezone="Europe/Paris"), ["calendar.timezone"]),
    (
        "closure outside the known years",
        lambda c: c["calendar"].update(extra_closures=[date(2040, 1, 2)]),
        ["calendar", "extra_closures ['2040-01-02'] fall outside 2015-2030"],
    ),
    ("closure not a date", lambda c: c["calendar"].update(extra_closures=["Christmas"]), ["calendar.extra_closures.0"]),
    ("section as a list", lambda c: c.update(web=[1, 2]), ["web"]),
    ("bot ports clash", lambda c: c["bot"].update(action_port=c["bot"]["port"]), ["bot", "action_port must differ"]),
    ("bot url not http", lambda c: c["bot"].update(public_url="rasa.example"), ["bot.public_url"]),
    ("front door number empty", lambda c: c["bot"].update(front_door_phone=""), ["bot.front_door_phone"]),
    ("tracker store not a url", lambda c: c["bot"].update(tracker_store="redis://x"), ["bot.tracker_store"]),
    ("null section", lambda c: c.update(procedures=None), ["procedures"]),
    (
        "threshold for an unknown head",
        lambda c: c["classifiers"].update(thresholds={"mood": 0.5}),
        ["classifiers.thresholds", "unknown head(s) ['mood']"],
    ),
    (
        "threshold above one",
        lambda c: c["classifiers"].update(thresholds={"type": 1.5}),
        ["classifiers.thresholds.type", "less than or equal to 1"],
    ),
    (
        "safeguarding routed to an unknown service",
        lambda c: c["classifiers"]["safeguarding"].update(route_to="police"),
        ["classifiers.safeguarding.route_to", "unknown service label 'police'"],
    ),
    (
        "no safeguarding phrases",
        lambda c: c["classifiers"]["safeguarding"].update(phrases=[]),
        ["classifiers.safeguarding.phrases", "at least 1 item"],
    ),
    (
        "a one-letter safeguarding phrase",
        lambda c: c["classifiers"]["safeguarding"].update(phrases=["a"]),
        ["classifiers.safeguarding.phrases.0", "at least 3 characters"],
    ),
    (
        "a place in two areas",
        lambda c: c["classifiers"]["areas"]["ct_rugby"].append("Warwick"),
        ["classifiers.areas", "place 'Warwick' is listed for both ct_rugby and ct_warwick"],
    ),
    (
        "an area that is not a team",
        lambda c: c["classifiers"]["areas"].update(ct_mars=["Olympus Mons"]),
        ["classifiers.areas: 'ct_mars' is not one of the teams"],
    ),
    (
        "a poll interval of zero",
        lambda c: c["classifiers"].update(poll_seconds=0),
        ["classifiers.poll_seconds", "greater than 0"],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in BAD_VALUES], ids=[n for n, _, _ in BAD_VALUES])
def test_a_bad_value_stops_loading_with_the_key_named(
    write_config: WriteConfig, change: Callable[[dict[str, Any]], object], expected: list[str]
) -> None:
    path = write_config(change)

    message = refused(path)

    assert message.startswith(f"{path}: invalid configuration")
    for part in expected:
        assert part in message


def test_every_problem_is_listed_at_once(write_config: WriteConfig) -> None:
    def two_problems(config: dict[str, Any]) -> None:
        config["web"]["port"] = 0
        config["procedures"]["feedback"]["response_days"] = 0

    message = refused(write_config(two_problems))

    assert "web.port" in message
    assert "procedures.feedback.response_days" in message


def test_defaults_fill_what_the_file_leaves_out(write_config: WriteConfig) -> None:
    def minimal(config: dict[str, Any]) -> None:
        for section in ("database", "web", "calendar", "procedures", "crt_team", "staff"):
            config.pop(section)

    settings = load_settings(write_config(minimal), environ={})

    assert settings.web.max_body_bytes == 256_000
    assert settings.procedures.corporate.stage2.response_days == 20
    assert settings.staff == ()


# --- files that are not a configuration --------------------------------------------------------------------------


def write_raw(tmp_path: Path, content: bytes | str) -> Path:
    path = tmp_path / "config.yml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


BROKEN_FILES: list[tuple[str, bytes | str, str]] = [
    ("malformed yaml", "web:\n  port: [8000\n", "not valid YAML"),
    ("tab indentation", "web:\n\tport: 8000\n", "not valid YAML"),
    ("top-level list", "- teams\n- staff\n", "the top level must be a mapping of sections, not list"),
    ("top-level scalar", "just some text\n", "the top level must be a mapping of sections, not str"),
    ("empty file", "", "teams"),
    ("only comments", "# nothing here\n", "teams"),
    ("non-utf-8", b"web:\n  host: caf\xe9\n", "cannot read the configuration"),
    ("utf-16", "teams: []\n".encode("utf-16"), "cannot read the configuration"),
    (
        "impossible date",
        "calendar:\n  extra_closures: [2026-02-30]\n",
        "not valid YAML (day is out of range for month)",
    ),
    ("huge integer", "web:\n  port: " + "9" * 5_000 + "\n", "not valid YAML"),
    ("python object tag", "web: !!python/object/apply:os.system [echo hi]\n", "not valid YAML"),
    ("bad explicit tag", "web:\n  port: !!int eighty\n", "not valid YAML"),
    ("deeply nested lists", "teams: " + "[" * 1_500 + "]" * 1_500 + "\n", "nested too deeply"),
    ("deeply nested maps", "teams: " + "{a: " * 1_500 + "1" + "}" * 1_500 + "\n", "nested too deeply"),
    ("duplicate anchors only", "a: *undefined\n", "not valid YAML"),
]


@pytest.mark.parametrize(
    ("content", "expected"), [(c, e) for _, c, e in BROKEN_FILES], ids=[n for n, _, _ in BROKEN_FILES]
)
def test_a_file_that_is_not_a_configuration_is_a_config_error(
    tmp_path: Path, content: bytes | str, expected: str
) -> None:
    path = write_raw(tmp_path, content)

    message = refused(path)

    assert message.startswith(str(path))
    assert expected in message


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    message = refused(tmp_path / "nowhere.yml")
    assert "nowhere.yml: cannot read the configuration" in message


def test_a_directory_is_a_config_error(tmp_path: Path) -> None:
    assert "cannot read the configuration" in refused(tmp_path)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_raw(tmp_path, "# " + "x" * MAX_CONFIG_BYTES + "\n")

    message = refused(path)

    assert f"larger than {MAX_CONFIG_BYTES} bytes" in message


def test_a_yaml_bomb_is_a_config_error_and_quick(tmp_path: Path) -> None:
    """Billion laughs: nine levels of aliases would be 10^9 strings if anything expanded them."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 10) + "]")
    for section in ("teams", "staff"):
        lines.append(f"{section}: *lol9")
    path = write_raw(tmp_path, "\n".join(lines) + "\n")

    started = time.monotonic()
    message = refused(path)

    assert time.monotonic() - started < 5
    assert "lol0" in message
    assert "teams" in message


def test_a_bomb_inside_a_known_section_is_a_config_error(tmp_path: Path) -> None:
    lines = ["web:", '  lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"  lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 10) + "]")
    lines.append("  channel_tokens: *lol8")
    rest = {key: value for key, value in repo_config().items() if key != "web"}
    path = write_raw(tmp_path, "\n".join(lines) + "\n" + yaml.safe_dump(rest))

    started = time.monotonic()
    message = refused(path)

    assert time.monotonic() - started < 5
    assert "web.channel_tokens" in message
    assert "web.lol0" in message


# --- where the SQLite file lives -------------------------------------------------------------------------------


def test_a_relative_sqlite_path_is_anchored_to_the_config_file(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(lambda config: config["database"].update(url="sqlite:///data/cases.db"))

    settings = load_settings(path, environ={})

    assert settings.database.url == f"sqlite:///{tmp_path / 'data' / 'cases.db'}"


def test_the_anchor_does_not_depend_on_the_working_directory(
    write_config: WriteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(lambda config: config["database"].update(url="sqlite:///cases.db"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert load_settings(Path("..") / path.name, environ={}).database.url == f"sqlite:///{tmp_path / 'cases.db'}"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////srv/feedback/cases.db",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://postgres@127.0.0.1:5432/feedback",
    ],
)
def test_absolute_in_memory_and_server_urls_are_left_alone(write_config: WriteConfig, url: str) -> None:
    path = write_config(lambda config: config["database"].update(url=url))
    assert load_settings(path, environ={}).database.url == url


def test_an_environment_override_is_anchored_too(write_config: WriteConfig, tmp_path: Path) -> None:
    settings = load_settings(write_config(), environ={"FEEDBACK_DATABASE__URL": "sqlite:///var/other.db"})
    assert settings.database.url == f"sqlite:///{tmp_path / 'var' / 'other.db'}"


# --- settings that load also build ---------------------------------------------------------------------------


def test_loaded_settings_build_an_application(write_config: WriteConfig, tmp_path: Path) -> None:
    def closures(config: dict[str, Any]) -> None:
        config["calendar"]["extra_closures"] = [date(2026, 12, 29)]
        config["database"]["url"] = "sqlite:///var/app.db"

    settings = load_settings(write_config(closures), environ={})
    application = Application.build(settings)
    try:
        assert isinstance(application.settings, Settings)
        assert not application.service.calendar.is_working_day(date(2026, 12, 29))
        assert application.service.calendar.is_working_day(date(2026, 12, 30))
    finally:
        application.close()


# --- the chat assistant ----------------------------------------------------------------------------------------


def test_the_assistants_model_path_is_anchored_to_the_config_file(write_config: WriteConfig, tmp_path: Path) -> None:
    settings = load_settings(write_config(), environ={})

    assert settings.bot.model == tmp_path / "bot" / "models" / "feedback.tar.gz"
    assert load_settings(environ={}).bot.model == DEFAULT_CONFIG_PATH.parent / "bot" / "models" / "feedback.tar.gz"


def test_a_relative_sqlite_tracker_store_is_anchored_and_others_are_left_alone(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    relative = write_config(lambda config: config["bot"].update(tracker_store="sqlite:///var/conversations.db"))
    assert load_settings(relative, environ={}).bot.tracker_store == f"sqlite:///{tmp_path / 'var' / 'conversations.db'}"
    server = "postgresql://rasa@127.0.0.1:5432/conversations"
    assert load_settings(relative, environ={"FEEDBACK_BOT__TRACKER_STORE": server}).bot.tracker_store == server
    assert load_settings(write_config(), environ={}).bot.tracker_store is None
