"""The `feedback` command: run the service, migrate the database, and let staff work cases from a shell.

Commands that change or read a case act as a named member of staff (`--as EMAIL`, or FEEDBACK_AS), with the
same rules and audit trail as the API.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from feedback.api.views import case_detail, case_summary
from feedback.application import Application
from feedback.settings import ConfigError, load_settings
from store import migrate
from store.access import CaseFilter, list_cases, not_found, visible_case
from store.actors import Actor
from store.db import transaction
from store.directory import actor_for, issue_token, staff_id_by_email
from store.errors import CaseError
from store.labels import HEADS, LESSON_THEMES, OUTCOMES, REMEDIES
from store.models import Case, Staff
from store.review import review_suggestion
from store.service import Closing
from store.workdays import HolidayDataMissing, london_date

Action = Callable[..., None]


class Context:
    """Settings are loaded lazily, so `feedback --help` works even with a broken config.yml."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._app: Application | None = None

    @property
    def app(self) -> Application:
        if self._app is None:
            try:
                self._app = Application.build(load_settings(self.config))
            except ConfigError as error:
                raise click.ClickException(str(error)) from None
        return self._app


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="FEEDBACK_CONFIG",
    help="config.yml to use (default: the repository's).",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """Feedback intake for children's and education services."""
    ctx.obj = Context(config)


# --- configuration and database ---------------------------------------------------------------------


@main.group()
def config() -> None:
    """Check the configuration."""


@config.command("check")
@pass_context
def config_check(ctx: Context) -> None:
    """Validate config.yml and the environment overrides, and summarise them."""
    settings = ctx.app.settings
    click.echo(f"database: {_redact(settings.database.url)}")
    click.echo(f"web: http://{settings.web.host}:{settings.web.port}")
    click.echo(f"teams: {len(settings.teams)}, staff: {len(settings.staff)}")
    click.echo(f"bank holidays trusted {settings.calendar.first_year}-{settings.calendar.known_until_year}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_context
def db_upgrade(ctx: Context) -> None:
    """Apply pending migrations, then load teams and staff from config.yml."""
    app = ctx.app
    with database_errors(app):
        migrate.upgrade(app.engine)
        app.sync_directory()
    click.echo(f"database at revision {migrate.current_revision(app.engine)} ({_redact(app.settings.database.url)})")


@db.command("current")
@pass_context
def db_current(ctx: Context) -> None:
    """Show the schema revision, and whether migrations are pending."""
    with database_errors(ctx.app):
        current = migrate.current_revision(ctx.app.engine)
    head = migrate.head_revision()
    click.echo(f"current: {current or 'empty database'}; latest: {head}")
    if current != head:
        raise click.ClickException("migrations pending: run `feedback db upgrade`")


# --- running ------------------------------------------------------------------------------------------


@main.command()
@click.option("--host", help="Address to listen on (default: web.host).")
@click.option("--port", type=int, help="Port (default: web.port).")
@click.option(
    "--api-only",
    is_flag=True,
    help="Serve only the API (run `feedback smtpd`, `feedback outbox send` and `feedback classify` apart).",
)
@pass_context
def serve(ctx: Context, host: str | None, port: int | None, api_only: bool) -> None:
    """Serve the JSON API (schema at /docs) and, unless --api-only, the email channel and classifier beside it."""
    import uvicorn

    from feedback.api.app import create_app
    from feedback.mail_channel import MailChannel

    app = ctx.app
    require_current_schema(app)
    app.sync_directory()
    web = app.settings.web
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    channel = MailChannel(app, listen=not api_only, send=not api_only, classify=not api_only)
    for line in channel.start():
        click.echo(line)
    try:
        # access_log=False: uvicorn's would print query strings, where citizens' emails travel (see AccessLog).
        uvicorn.run(create_app(app), host=host or web.host, port=port or web.port, log_level="info", access_log=False)
    finally:
        channel.stop()


@main.command()
@click.option("--demo-token", metavar="EMAIL", help="Issue and print an API token for this member of staff.")
@pass_context
def run(ctx: Context, demo_token: str | None) -> None:
    """Start the whole stack and print where everything is; Ctrl-C stops it cleanly."""
    from feedback.supervisor import run_stack

    app = ctx.app
    require_current_schema(app)
    app.sync_directory()
    if demo_token:
        with transaction(app.sessions) as session:
            token = issue_token(session, demo_token, Actor.system("cli"))
        click.echo(f"API token for {demo_token}: {token}")
    sys.exit(run_stack(app.settings, ctx.config))


# --- staff ----------------------------------------------------------------------------------------------


@main.group()
def staff() -> None:
    """Staff and their API tokens (staff themselves are listed in config.yml)."""


@staff.command("list")
@pass_context
def staff_list(ctx: Context) -> None:
    with transaction(ctx.app.sessions) as session:
        for member in session.scalars(select(Staff).order_by(Staff.team_id, Staff.email)):
            state = "" if member.active else " (inactive)"
            token = "token issued" if member.token_hash else "no token"
            click.echo(f"{member.team_id:28} {member.email:36} {member.role:8} {token}{state}")


@staff.command("token")
@click.argument("email")
@pass_context
def staff_token(ctx: Context, email: str) -> None:
    """Issue a new API token for EMAIL (any earlier one stops working). It is shown once."""
    with transaction(ctx.app.sessions) as session:
        try:
            token = issue_token(session, email, Actor.system("cli"))
        except LookupError as error:
            raise click.ClickException(str(error)) from None
    click.echo(token)


# --- cases ----------------------------------------------------------------------------------------------

as_option = click.option(
    "--as",
    "as_email",
    envvar="FEEDBACK_AS",
    required=True,
    metavar="EMAIL",
    help="Act as this member of staff (or set FEEDBACK_AS).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@main.group()
def case() -> None:
    """Read and work cases, as a member of staff."""


@case.command("list")
@click.option("--status", type=click.Choice(["open", "closed"]))
@click.option("--team")
@click.option("--review", is_flag=True, help="Only cases waiting for the CRT's review.")
@click.option("--low-confidence", is_flag=True, help="Only cases with a suggestion below its review threshold.")
@click.option("--overdue", is_flag=True, help="Only open cases past their due date.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@as_option
@json_option
@pass_context
def case_list(
    ctx: Context,
    status: str | None,
    team: str | None,
    review: bool,
    low_confidence: bool,
    overdue: bool,
    limit: int,
    as_email: str,
    as_json: bool,
) -> None:
    """The cases you may see, earliest due first."""
    app = ctx.app
    wanted = CaseFilter(
        status=status,
        team_id=team,
        needs_review=True if review else None,
        low_confidence=True if low_confidence else None,
        overdue_on=london_date(app.service.now()) if overdue else None,
        limit=limit,
    )
    with _staff_session(app, as_email) as (session, actor):
        page, total = list_cases(session, actor, wanted)
        summaries = [case_summary(found) for found in page]
    if as_json:
        click.echo(json.dumps({"total": total, "cases": [s.model_dump(mode="json") for s in summaries]}, indent=2))
        return
    for s in summaries:
        due = s.due_on.isoformat() if s.due_on else "-"
        flags = " ".join(flag for flag, on in (("URGENT", s.urgent), ("low-confidence", s.low_confidence)) if on)
        line = f"{s.reference}  {s.type:10} stage {s.stage}  {s.status:6}  due {due:10}  {s.team}  {flags}"
        click.echo(line.rstrip())
    click.echo(f"{len(summaries)} of {total} cases")


@case.command("show")
@click.argument("reference")
@as_option
@json_option
@pass_context
def case_show(ctx: Context, reference: str, as_email: str, as_json: bool) -> None:
    """One case in full (the read is audited)."""
    _act(ctx, reference, as_email, None, as_json)


def _case_action(name: str, help_text: str, *options: Callable[[Any], Any]) -> Callable[[Action], Any]:
    """Declare `feedback case NAME REFERENCE … --as EMAIL` running one case-service operation."""

    def decorate(build: Action) -> Any:
        def command(ctx: Context, /, reference: str, as_email: str, as_json: bool, **values: Any) -> None:
            _act(ctx, reference, as_email, lambda app, s, c, a: build(app, s, c, a, **values), as_json)

        for option in reversed(options):
            command = option(command)
        return case.command(name, help=help_text)(
            click.argument("reference")(as_option(json_option(pass_context(command))))
        )

    return decorate


reason_option = click.option("--reason", required=True, help="Why (at least 10 characters; recorded).")


@_case_action("acknowledge", "Record that the complainant has been acknowledged.")
def _acknowledge(app: Application, session: Session, found: Case, actor: Actor) -> None:
    app.service.acknowledge(session, found, actor)


@_case_action(
    "assign",
    "Give the case to a team and, optionally, an officer.",
    click.option("--team", required=True),
    click.option("--officer", help="Officer's email."),
    click.option("--reason"),
)
def _assign(
    app: Application, session: Session, found: Case, actor: Actor, *, team: str, officer: str | None, reason: str | None
) -> None:
    staff_id = _staff_id(session, officer) if officer else None
    app.service.assign(session, found, actor, team_id=team, staff_id=staff_id, reason=reason)


@_case_action(
    "extend",
    "Extend the response deadline within the procedure's limit.",
    click.option("--days", type=click.IntRange(1, 60), required=True),
    reason_option,
)
def _extend(app: Application, session: Session, found: Case, actor: Actor, *, days: int, reason: str) -> None:
    app.service.extend(session, found, actor, working_days=days, reason=reason)


@_case_action(
    "close",
    "Close the current stage with its outcome, remedies and lesson learned.",
    click.option("--outcome", type=click.Choice(OUTCOMES)),
    click.option("--remedy", "remedies", type=click.Choice(REMEDIES), multiple=True),
    click.option("--lesson", required=True, help="Lessons learned."),
    click.option("--theme", type=click.Choice(LESSON_THEMES), required=True),
    click.option("--summary"),
)
def _close(
    app: Application,
    session: Session,
    found: Case,
    actor: Actor,
    *,
    outcome: str | None,
    remedies: tuple[str, ...],
    lesson: str,
    theme: str,
    summary: str | None,
) -> None:
    closing = Closing(outcome=outcome, remedies=remedies, lessons_learned=lesson, lesson_theme=theme, summary=summary)
    app.service.close(session, found, actor, closing)


@_case_action("reopen", "Reopen a case closed in error.", reason_option)
def _reopen(app: Application, session: Session, found: Case, actor: Actor, *, reason: str) -> None:
    app.service.reopen(session, found, actor, reason=reason)


@_case_action(
    "escalate",
    "Move a complaint to its next stage at the complainant's request.",
    click.option("--requested-on", type=click.DateTime(["%Y-%m-%d"]), required=True),
    click.option("--handler", help="CRT officer's email."),
    reason_option,
)
def _escalate(
    app: Application,
    session: Session,
    found: Case,
    actor: Actor,
    *,
    requested_on: Any,
    handler: str | None,
    reason: str,
) -> None:
    handler_id = _staff_id(session, handler) if handler else None
    requested: date = requested_on.date()
    app.service.escalate(session, found, actor, requested_on=requested, reason=reason, handler_id=handler_id)


@_case_action(
    "procedure",
    "Change the complaint procedure that applies (CRT).",
    click.option("--to", "procedure", type=click.Choice(["statutory", "corporate", "feedback"]), required=True),
    reason_option,
)
def _procedure(app: Application, session: Session, found: Case, actor: Actor, *, procedure: str, reason: str) -> None:
    app.service.change_procedure(session, found, actor, procedure=procedure, reason=reason)


head_argument = click.option("--head", type=click.Choice(list(HEADS)), required=True, help="Which suggestion.")


@_case_action("accept", "Accept the classifier's suggestion for one head (CRT).", head_argument)
def _accept(app: Application, session: Session, found: Case, actor: Actor, *, head: str) -> None:
    review_suggestion(app.service, session, found, actor, head=head, accept=True)


@_case_action(
    "override",
    "Override the classifier's suggestion for one head with another label (CRT; recorded for retraining).",
    head_argument,
    click.option("--label", required=True, help="The label to use instead (see shared/design/labels.md)."),
)
def _override(app: Application, session: Session, found: Case, actor: Actor, *, head: str, label: str) -> None:
    review_suggestion(app.service, session, found, actor, head=head, accept=False, label=label)


# --- helpers ----------------------------------------------------------------------------------------------


def _act(ctx: Context, reference: str, as_email: str, action: Action | None, as_json: bool) -> None:
    app = ctx.app
    with _staff_session(app, as_email) as (session, actor):
        found = visible_case(session, reference, actor)
        if found is not None:
            if action is not None:
                action(app, session, found, actor)
                session.flush()
            detail = case_detail(session, found)
    if found is None:
        raise click.ClickException(str(not_found(reference)))
    if as_json:
        click.echo(detail.model_dump_json(indent=2))
        return
    click.echo(f"{detail.reference}  {detail.type}  {detail.procedure} stage {detail.stage}  {detail.status}")
    click.echo(f"team {detail.team}; officer {detail.assigned_to or '-'}; due {detail.due_on or '-'}")
    for clock in detail.clocks:
        state = (
            f"met {clock.met_on}" if clock.met_on else f"stopped {clock.stopped_on}" if clock.stopped_on else "running"
        )
        click.echo(f"  stage {clock.stage} {clock.kind:16} due {clock.due_on} (limit {clock.limit_on}) {state}")
    click.echo(f"{len(detail.messages)} message(s), {len(detail.suggestions)} suggestion(s)")


@contextmanager
def _staff_session(app: Application, email: str) -> Iterator[tuple[Session, Actor]]:
    with database_errors(app), transaction(app.sessions) as session:
        member = session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active.is_(True)))
        if member is None:
            raise click.ClickException(f"{email} is not an active member of staff in config.yml")
        try:
            yield session, actor_for(member, app.settings.crt_team)
        except (CaseError, HolidayDataMissing) as error:
            raise click.ClickException(str(error)) from None


def _staff_id(session: Session, email: str) -> int:
    staff_id = staff_id_by_email(session, email)
    if staff_id is None:
        raise click.ClickException(f"no member of staff with email {email}")
    return staff_id


@contextmanager
def database_errors(app: Application) -> Iterator[None]:
    try:
        yield
    except OperationalError as error:
        raise click.ClickException(
            f"cannot use the database at {_redact(app.settings.database.url)}: {error.orig}"
        ) from None


def require_current_schema(app: Application) -> None:
    with database_errors(app):
        current = migrate.current_revision(app.engine)
    if current != migrate.head_revision():
        raise click.ClickException("the database schema is not up to date: run `feedback db upgrade` first")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# The email channel's and the classifiers' commands register themselves on `main`.
import feedback.cli_classifiers  # noqa: E402
import feedback.cli_jobs  # noqa: E402
import feedback.cli_mail  # noqa: E402, F401
