"""The `feedback` command, run in-process with click's CliRunner against a temporary SQLite database.

SQLite only: the commands' logic is the same on PostgreSQL, which the API and store suites cover.
Every failure must be a clear message and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_support import ADMISSIONS, CRT, SENDAR, Run, assert_clear_failure, write_config
from sqlalchemy import select

from feedback.application import Application
from store import migrate
from store.access import find_case
from store.actors import Actor
from store.db import transaction
from store.directory import hash_token
from store.models import AuditEvent, Case, Staff

# --- database ---------------------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_and_loads_the_directory(run: Run, fresh_config: Path) -> None:
    head = migrate.head_revision()

    before = run("db", "current", config=fresh_config)
    assert_clear_failure(before, "migrations pending: run `feedback db upgrade`")
    assert f"current: empty database; latest: {head}" in before.stdout

    upgraded = run("db", "upgrade", config=fresh_config)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"database at revision {head}" in upgraded.stdout
    assert (fresh_config.parent / "var" / "feedback.db").exists()  # beside the config, wherever we ran from

    current = run("db", "current", config=fresh_config)
    assert current.exit_code == 0, current.output
    assert current.stdout.strip() == f"current: {head}; latest: {head}"

    staff = run("staff", "list", config=fresh_config)
    assert staff.exit_code == 0
    assert len(staff.stdout.strip().splitlines()) == 11
    assert "no token" in staff.stdout


def test_db_upgrade_twice_is_harmless(run: Run) -> None:
    assert run("db", "upgrade").exit_code == 0
    assert run("db", "upgrade").exit_code == 0


def test_an_unreachable_database_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    config = write_config(tmp_path, database={"url": "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/nothing"})

    result = run("db", "current", config=config)

    assert_clear_failure(result, "cannot use the database at postgresql+psycopg://postgres:***@127.0.0.1:1/nothing")
    assert "hunter2" not in result.output


def test_serve_refuses_a_database_that_is_not_upgraded(
    run: Run, fresh_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    def must_not_serve(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the server started on a database that is not upgraded")

    monkeypatch.setattr(uvicorn, "run", must_not_serve)  # a regression must fail the test, not hang it

    result = run("serve", "--port", "8765", config=fresh_config)
    assert_clear_failure(result, "the database schema is not up to date: run `feedback db upgrade` first")


# --- configuration ------------------------------------------------------------------------------------------------


def test_config_check_summarises_the_configuration(run: Run, config_path: Path) -> None:
    result = run("config", "check")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"database: sqlite:///{config_path.parent / 'var' / 'feedback.db'}",
        "web: http://127.0.0.1:8000",
        "teams: 17, staff: 11",
        "bank holidays trusted 2015-2030",
    ]


def test_config_check_applies_environment_overrides_and_hides_passwords(run: Run) -> None:
    env = {
        "FEEDBACK_DATABASE__URL": "postgresql+psycopg://feedback:hunter2@db.council.example:5432/feedback",
        "FEEDBACK_WEB__PORT": "8080",
    }

    result = run("config", "check", env=env)

    assert result.exit_code == 0, result.output
    assert "database: postgresql+psycopg://feedback:***@db.council.example:5432/feedback" in result.stdout
    assert "web: http://127.0.0.1:8080" in result.stdout
    assert "hunter2" not in result.output


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"procedures": {"statutory": {"stage1": {"response_days": 0, "limit_days": 20}}}}, "procedures.statutory"),
        ({"web": {"prot": 8000}}, "web.prot"),
        ({"web": {"channel_tokens": ["too-short"]}}, "web.channel_tokens"),
        ({"database": {"url": "mysql://localhost/feedback"}}, "database.url"),
    ],
    ids=["zero-days", "typo", "short-token", "mysql"],
)
def test_a_broken_config_stops_with_the_key_named(
    run: Run, tmp_path: Path, changes: dict[str, Any], named: str
) -> None:
    config = write_config(tmp_path, **changes)

    for command in (["config", "check"], ["db", "upgrade"], ["case", "list", "--as", CRT]):
        result = run(*command, config=config)

        assert_clear_failure(result, f"{config}: invalid configuration", named)


def test_a_broken_config_file_stops_cleanly(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("web:\n  port: [8000\n")

    assert_clear_failure(run("config", "check", config=broken), "not valid YAML")
    assert_clear_failure(run("config", "check", config=tmp_path / "missing.yml"), "cannot read the configuration")


def test_help_works_whatever_the_config(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("- not a mapping\n")

    for args in (["--help"], ["case", "--help"], ["case", "close", "--help"]):
        result = run(*args, config=broken)
        assert result.exit_code == 0, result.output
        assert "Usage:" in result.stdout


# --- staff tokens ----------------------------------------------------------------------------------------------------


def test_staff_token_issues_a_working_token(run: Run, application: Application) -> None:
    result = run("staff", "token", ADMISSIONS.upper())

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) >= 40
    with transaction(application.sessions) as session:
        member = session.scalar(select(Staff).where(Staff.email == ADMISSIONS))
        assert member is not None
        assert member.token_hash == hash_token(token)

    again = run("staff", "token", ADMISSIONS).stdout.strip()
    assert again != token
    assert "token issued" in run("staff", "list").stdout


def test_staff_token_for_an_unknown_email_is_a_clear_error(run: Run) -> None:
    result = run("staff", "token", "nobody@council.example")
    assert_clear_failure(result, "no active member of staff with email 'nobody@council.example'")


# --- reading cases -------------------------------------------------------------------------------------------------


def test_case_list_shows_the_cases_a_member_of_staff_may_see(run: Run, open_case: Callable[..., str]) -> None:
    mine = open_case(team="school_admissions")
    crt_only = open_case()

    crt = run("case", "list", "--as", CRT)
    admissions = run("case", "list", "--as", ADMISSIONS)
    sendar = run("case", "list", "--as", SENDAR)

    assert crt.exit_code == admissions.exit_code == sendar.exit_code == 0
    assert mine in crt.stdout
    assert crt_only in crt.stdout
    assert "2 of 2 cases" in crt.stdout
    assert mine in admissions.stdout
    assert crt_only not in admissions.stdout
    assert "1 of 1 cases" in admissions.stdout
    assert sendar.stdout.strip() == "0 of 0 cases"


def test_case_list_as_json_with_filters(run: Run, open_case: Callable[..., str]) -> None:
    mine = open_case(team="school_admissions")
    open_case()

    result = run("case", "list", "--as", CRT, "--team", "school_admissions", "--status", "open", "--json")

    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["total"] == 1
    assert [case["reference"] for case in listed["cases"]] == [mine]
    assert listed["cases"][0]["team"] == "school_admissions"


def test_feedback_as_may_come_from_the_environment(run: Run, open_case: Callable[..., str]) -> None:
    reference = open_case(team="school_admissions")
    result = run("case", "list", env={"FEEDBACK_AS": ADMISSIONS})
    assert reference in result.stdout


def test_acting_needs_a_known_member_of_staff(run: Run, open_case: Callable[..., str]) -> None:
    reference = open_case()

    assert_clear_failure(run("case", "list"), "Missing option '--as'", exit_code=2)
    assert_clear_failure(
        run("case", "show", reference, "--as", "stranger@example.org"),
        "stranger@example.org is not an active member of staff in config.yml",
    )


def test_case_show_prints_the_case_and_audits_the_read(
    run: Run, open_case: Callable[..., str], application: Application
) -> None:
    reference = open_case(team="school_admissions")

    result = run("case", "show", reference.lower(), "--as", ADMISSIONS)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{reference}  complaint  corporate stage 1  open"
    assert lines[1].startswith("team school_admissions; officer -; due 2")
    assert "1 message(s), 0 suggestion(s)" in result.stdout
    detail = json.loads(run("case", "show", reference, "--as", CRT, "--json").stdout)
    assert detail["reference"] == reference
    assert detail["messages"][0]["body"].startswith("We were refused")
    with transaction(application.sessions) as session:
        views = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "case.viewed")).all()
    assert views == [ADMISSIONS, CRT]


def test_case_show_of_another_teams_case_is_an_error_and_audited(
    run: Run, open_case: Callable[..., str], application: Application
) -> None:
    reference = open_case(team="school_admissions")

    result = run("case", "show", reference, "--as", SENDAR)

    assert_clear_failure(result, f"no case {reference!r} that you can see")
    unknown = run("case", "show", "FB-0000-0000", "--as", SENDAR)
    assert_clear_failure(unknown, "no case 'FB-0000-0000' that you can see")
    with transaction(application.sessions) as session:
        refused = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "case.view_refused")).all()
    assert refused == [SENDAR, SENDAR]


# --- working cases -------------------------------------------------------------------------------------------------


def stored(application: Application, reference: str) -> Case:
    with transaction(application.sessions) as session:
        case = find_case(session, reference)
        assert case is not None
        return case


def test_case_close_without_its_required_options_is_a_usage_error(
    run: Run, open_case: Callable[..., str], application: Application
) -> None:
    reference = open_case(team="school_admissions")

    no_lesson = run("case", "close", reference, "--as", ADMISSIONS, "--theme", "communication")
    no_theme = run("case", "close", reference, "--as", ADMISSIONS, "--lesson", "Explain decisions in writing.")
    bad_outcome = run(
        "case",
        "close",
        reference,
        "--as",
        ADMISSIONS,
        "--lesson",
        "Explain it.",
        "--theme",
        "training",
        "--outcome",
        "won",
    )

    assert_clear_failure(no_lesson, "Missing option '--lesson'", exit_code=2)
    assert_clear_failure(no_theme, "Missing option '--theme'", exit_code=2)
    assert_clear_failure(bad_outcome, "Invalid value for '--outcome'", exit_code=2)
    assert stored(application, reference).status == "open"


def test_case_close_of_a_complaint_needs_an_outcome_and_a_remedy(
    run: Run, open_case: Callable[..., str], application: Application
) -> None:
    reference = open_case(team="school_admissions")
    lesson = ["--lesson", "Explain admission decisions in writing.", "--theme", "communication"]

    assert_clear_failure(
        run("case", "close", reference, "--as", ADMISSIONS, *lesson, "--remedy", "apology"),
        "a complaint needs an outcome",
    )
    assert_clear_failure(
        run("case", "close", reference, "--as", ADMISSIONS, *lesson, "--outcome", "upheld"),
        "a complaint needs at least one remedy",
    )
    assert stored(application, reference).status == "open"

    closed = run(
        "case",
        "close",
        reference,
        "--as",
        ADMISSIONS,
        *lesson,
        "--outcome",
        "upheld",
        "--remedy",
        "apology",
        "--remedy",
        "explanation_provided",
        "--json",
    )

    assert closed.exit_code == 0, closed.output
    detail = json.loads(closed.stdout)
    assert detail["status"] == "closed"
    assert sorted(detail["closures"][0]["remedies"]) == ["apology", "explanation_provided"]


def test_case_extend_with_a_short_reason_is_a_clear_error(
    run: Run, open_case: Callable[..., str], application: Application
) -> None:
    reference = open_case(team="school_admissions")
    due = stored(application, reference).due_on

    result = run("case", "extend", reference, "--as", ADMISSIONS, "--days", "5", "--reason", "busy")

    assert_clear_failure(result, "an extension needs a reason of at least 10 characters")
    assert stored(application, reference).due_on == due
    assert_clear_failure(
        run("case", "extend", reference, "--as", ADMISSIONS, "--days", "0", "--reason", "Waiting for the school."),
        "Invalid value for '--days'",
        exit_code=2,
    )


def test_case_extend_moves_the_deadline(run: Run, open_case: Callable[..., str], application: Application) -> None:
    reference = open_case(team="school_admissions")
    due = stored(application, reference).due_on

    result = run("case", "extend", reference, "--as", ADMISSIONS, "--days", "3", "--reason", "Waiting for the school.")

    assert result.exit_code == 0, result.output
    new_due = stored(application, reference).due_on
    assert due is not None and new_due is not None and new_due > due
    assert f"due {new_due.isoformat()}" in result.stdout


def test_case_actions_follow_the_services_rules(run: Run, open_case: Callable[..., str]) -> None:
    reference = open_case(team="school_admissions")

    assert_clear_failure(
        run("case", "escalate", reference, "--as", ADMISSIONS, "--requested-on", "2026-01-05", "--reason", "x" * 12),
        "only the Customer Relations Team can escalate a complaint",
    )
    assert_clear_failure(
        run("case", "assign", reference, "--as", ADMISSIONS, "--team", "sendar"),
        "only the Customer Relations Team can move a case to another team",
    )
    assert_clear_failure(
        run("case", "assign", reference, "--as", CRT, "--team", "parking"),
        "no team 'parking'",
    )
    assert_clear_failure(
        run("case", "assign", reference, "--as", CRT, "--team", "crt", "--officer", "nobody@council.example"),
        "no member of staff with email nobody@council.example",
    )
    assert_clear_failure(
        run("case", "acknowledge", reference, "--as", SENDAR),
        f"no case {reference!r} that you can see",
    )


def test_case_assign_and_acknowledge(run: Run, open_case: Callable[..., str]) -> None:
    reference = open_case()

    assigned = run("case", "assign", reference, "--as", CRT, "--team", "school_admissions", "--officer", ADMISSIONS)
    acknowledged = run("case", "acknowledge", reference, "--as", ADMISSIONS, "--json")

    assert assigned.exit_code == 0, assigned.output
    assert f"team school_admissions; officer {ADMISSIONS}" in assigned.stdout
    assert acknowledged.exit_code == 0, acknowledged.output
    assert json.loads(acknowledged.stdout)["acknowledged_at"] is not None


def test_the_crt_accepts_and_overrides_suggestions_from_the_shell(
    run: Run, application: Application, open_case: Callable[..., str]
) -> None:
    from store.access import find_case
    from store.review import Suggested, record_suggestions

    reference = open_case()
    with transaction(application.sessions) as session:
        found = find_case(session, reference)
        assert found is not None
        suggested = [Suggested("type", "question", 0.6), Suggested("service", "sendar", 0.9)]
        record_suggestions(session, found, Actor.system("test"), suggested, model_version="test-1")

    accepted = run("case", "accept", reference, "--head", "service", "--as", CRT, "--json")
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.stdout)["team"] == "sendar"
    assert_clear_failure(
        run("case", "override", reference, "--head", "type", "--label", "grumble", "--as", CRT), "is not a type label"
    )
    overridden = run("case", "override", reference, "--head", "type", "--label", "complaint", "--as", CRT, "--json")
    assert overridden.exit_code == 0, overridden.output
    detail = json.loads(overridden.stdout)
    assert [(s["head"], s["review"], s["final_label"], s["reviewed_by"]) for s in detail["suggestions"]] == [
        ("type", "overridden", "complaint", CRT),
        ("service", "accepted", "sendar", CRT),
    ]
    assert not detail["needs_review"]
    assert_clear_failure(run("case", "accept", reference, "--head", "service", "--as", ADMISSIONS), "no case")


def test_run_without_the_assistants_model_says_how_to_train_it(run: Run, tmp_path: Path) -> None:
    """`feedback run` checks the assistant can start before starting anything, and says what to do."""
    config = write_config(tmp_path, bot={"model": str(tmp_path / "missing.tar.gz")})
    assert run("db", "upgrade", config=config).exit_code == 0

    result = run("run", config=config)

    assert_clear_failure(result, "missing.tar.gz is missing: run `make bot-model` to train it")
