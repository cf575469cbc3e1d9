"""`feedback scheduler` and `feedback jobs`: the scheduled jobs, run on their schedules or one by hand."""

from __future__ import annotations

import threading
from datetime import datetime

import click
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from feedback.application import Application
from feedback.cli import Context, main, pass_context, require_current_schema
from feedback.cli_mail import configure_logging, until_signalled
from jobs import scheduler as jobs_scheduler
from jobs.context import JobContext
from jobs.runner import JOB_NAMES, JobRunner
from store.workdays import LONDON


def job_runner(app: Application) -> JobRunner:
    settings = app.settings
    ctx = JobContext(
        service=app.service,
        jobs=settings.jobs,
        mail=settings.mail,
        public_url=settings.web.public_url,
        crt_team=settings.crt_team,
    )
    return JobRunner(ctx, app.sessions, app.service.now)


def _app(ctx: Context) -> Application:
    """The application on the jobs' clock (the real one, or a test's simulated one)."""
    settings = ctx.app.settings
    clock = jobs_scheduler.clock_for(settings.jobs)
    app = Application.build(settings, now=clock, engine=ctx.app.engine)
    require_current_schema(app)
    return app


@main.command("scheduler")
@pass_context
def scheduler_command(ctx: Context) -> None:
    """Run the scheduled jobs (reminders, windows, acknowledgements, digests, outbox) until stopped."""
    configure_logging()
    app = _app(ctx)
    jobs_scheduler.install(job_runner(app))
    scheduler = jobs_scheduler.build_scheduler(app.engine, app.settings.jobs)
    for line in jobs_scheduler.start(scheduler, app.settings.jobs):
        click.echo(f"scheduled {line}")
    try:
        until_signalled(threading.Event())
    finally:
        scheduler.shutdown(wait=True)


@main.group()
def jobs() -> None:
    """The scheduled jobs."""


@jobs.command("run-now")
@click.argument("name", type=click.Choice(JOB_NAMES))
@pass_context
def jobs_run_now(ctx: Context, name: str) -> None:
    """Run one job now, as the scheduler would."""
    click.echo(f"{name}: {job_runner(_app(ctx)).run(name)}")


@jobs.command("list")
@pass_context
def jobs_list(ctx: Context) -> None:
    """The jobs in the schedule and their next run times, as stored in the database."""
    app = _app(ctx)
    table = app.settings.jobs.jobstore_table  # a plain identifier (validated in jobs.settings)
    try:
        with app.engine.connect() as connection:
            rows = connection.execute(text(f"SELECT id, next_run_time FROM {table} ORDER BY id")).all()  # noqa: S608
    except SQLAlchemyError:
        rows = []
    if not rows:
        click.echo("no jobs scheduled yet: start `feedback scheduler`")
    for job_id, next_run in rows:
        when = datetime.fromtimestamp(next_run, LONDON).strftime("%Y-%m-%d %H:%M:%S %Z") if next_run else "paused"
        click.echo(f"{job_id:18} next run {when}")
