"""Weekly digests: to each team, where its cases stand; to the CRT and managers, the service's figures.

Sent once per team (or address) and ISO week, keyed in the outbox (`digest:team:<team>:<week>`,
`digest:managers:<week>:<address>`). The digest due is the latest scheduled moment (default Monday 08:00,
Europe/London) at or before now: a run after downtime sends the missed week's digest once, and never an
earlier week's once a newer one is due.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.replies import long_date
from jobs.context import Directory, JobContext
from jobs.figures import ManagerFigures, Period, TeamFigures, manager_figures, team_figures
from jobs.render import render
from jobs.settings import WEEKDAYS, DigestSettings
from store.models import OutboxMessage
from store.outbox import Outgoing, enqueue_many
from store.workdays import LONDON, london_date

log = logging.getLogger(__name__)


def latest_digest_moment(now: datetime, digest: DigestSettings) -> datetime:
    """The most recent scheduled digest time at or before `now`."""
    local = now.astimezone(LONDON)
    monday = local.date() - timedelta(days=local.weekday())
    moment = datetime.combine(monday + timedelta(days=WEEKDAYS.index(digest.weekday)), digest.at, LONDON)
    return moment if moment <= local else moment - timedelta(days=7)


def send_weekly_digests(ctx: JobContext, session: Session, now: datetime) -> int:
    """Queue this week's digests not yet queued; how many messages."""
    moment = latest_digest_moment(now, ctx.jobs.digest)
    this_week = Period.iso_week(*moment.date().isocalendar()[:2])
    reported = this_week.previous()
    directory = Directory.load(session)
    team_keys = {team_id: f"digest:team:{team_id}:{this_week.label}" for team_id in directory.team_emails}
    manager_addresses = [directory.team_emails[ctx.crt_team], *directory.all_managers()]
    manager_keys = {address: f"digest:managers:{this_week.label}:{address}" for address in manager_addresses}
    done = set(
        session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_([*team_keys.values(), *manager_keys.values()])
            )
        )
    )
    today = london_date(now)
    mails: list[Outgoing] = []
    teams_due = [team_id for team_id, key in team_keys.items() if key not in done]
    if teams_due:
        since = _last_digests(session, directory, this_week, fallback=moment - timedelta(days=7))
        figures = team_figures(session, today=today, week=this_week, since=since, list_limit=ctx.jobs.digest.list_limit)
        mails += [
            _team_mail(ctx, directory, figures[team_id], this_week, since[team_id], team_keys[team_id])
            for team_id in teams_due
            if team_id in figures
        ]
    addresses_due = [address for address, key in manager_keys.items() if key not in done]
    if addresses_due:
        managers = manager_figures(
            session, today=today, week=reported, calendar=ctx.calendar, longest=ctx.jobs.digest.longest_overdue
        )
        mails += [_manager_mail(ctx, managers, this_week, address, manager_keys[address]) for address in addresses_due]
    queued = enqueue_many(session, mails, message_id_domain=ctx.mail.message_id_domain, at=now)
    session.commit()
    log.info("weekly digests for %s: %d queued", this_week.label, queued)
    return queued


def _last_digests(session: Session, directory: Directory, week: Period, *, fallback: datetime) -> dict[str, datetime]:
    """When each team's previous digest was queued, so "new since the last digest" misses nothing."""
    rows = session.execute(
        select(OutboxMessage.to_address, func.max(OutboxMessage.created_at))
        .where(
            OutboxMessage.kind == "digest",
            OutboxMessage.dedupe_key.like("digest:team:%"),
            ~OutboxMessage.dedupe_key.like(f"%:{week.label}"),
        )
        .group_by(OutboxMessage.to_address)
    )
    last = {address: at for address, at in rows}
    return {team_id: last.get(email, fallback) for team_id, email in directory.team_emails.items()}


def _team_mail(
    ctx: JobContext, directory: Directory, figures: TeamFigures, week: Period, since: datetime, key: str
) -> Outgoing:
    team_name = directory.team_names[figures.team_id]
    context: dict[str, Any] = {
        "team_name": team_name,
        "week": _week_words(week),
        "since": f"{since.astimezone(LONDON):%A %-d %B %Y %H:%M}",
        "f": figures,
        "long_date": long_date,
        "case_url": ctx.case_url,
    }
    rendered = render("digest_team", f"Weekly digest for {team_name}, {_week_words(week)}", context)
    return rendered.to_staff(kind="digest", to_address=directory.team_emails[figures.team_id], dedupe_key=key)


def _manager_mail(ctx: JobContext, figures: ManagerFigures, this_week: Period, address: str, key: str) -> Outgoing:
    context: dict[str, Any] = {
        "week": _week_words(figures.week),
        "previous": _week_words(figures.week.previous()),
        "last_year": _week_words(figures.week.a_year_earlier()),
        "f": figures,
        "percent": _percent,
        "long_date": long_date,
        "case_url": ctx.case_url,
    }
    subject = f"Customer feedback: the week of {_week_words(figures.week)}"
    rendered = render("digest_managers", subject, context)
    return rendered.to_staff(kind="digest", to_address=address, dedupe_key=key)


def _week_words(week: Period) -> str:
    return f"{_short(week.first)} to {_short(week.last)} ({week.label})"


def _short(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"
