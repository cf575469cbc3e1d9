"""SLA reminders and escalations: what is due now, computed from the running clocks.

State-based, not event-based: each run looks at every open case's running deadlines and sends what their
state calls for *now*, so a run after downtime sends each missed reminder once (not once per missed run),
and a reminder whose moment has passed altogether gives way to the overdue notice.

- before a deadline: at each configured point (default 3 working days before, and on the due day) the
  owner is reminded — the assigned officer, else the team's address; a point missed by downtime is sent
  late only until the next point falls due;
- after it: the owner and the team's managers are told, and the CRT too at stages 2 and 3.

An acknowledgement deadline gets the reminders; its breach is flagged to the CRT by `jobs.acknowledgements`.
Staff mail goes only on working days within working hours. Each notice carries the reference, what is due,
by when and a link: never the case's text or anyone's details.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from intake.replies import RenderedMail, long_date
from jobs.context import Directory, JobContext
from jobs.notices import OVERDUE, Notice, claim_and_queue
from jobs.render import render
from store.clocks import RESPONSE_KINDS
from store.models import Case, Clock, ClockNotice
from store.outbox import Outgoing
from store.workdays import london_date

log = logging.getLogger(__name__)

REMINDED_KINDS: Final = frozenset({*RESPONSE_KINDS, "acknowledge"})
# Notices claimed per transaction: a run killed half-way keeps what it committed and redoes the rest.
BATCH: Final = 500
WHAT_IS_DUE: Final = {
    "acknowledge": "the acknowledgement of the complaint",
    "respond": "the stage {stage} response",
    "panel": "the stage 3 review panel",
    "panel_report": "the review panel's report",
    "council_response": "the council's response to the review panel",
}


@dataclass(frozen=True)
class RunningDeadline:
    clock_id: int
    kind: str
    due_on: date
    case_id: int
    reference: str
    stage: int
    team_id: str
    staff_id: int | None
    # The most urgent point already sent for this due date (None: nothing yet; -1: the overdue notice).
    sent: int | None


def send_sla_reminders(ctx: JobContext, session: Session, now: datetime) -> int:
    """Queue the reminders and overdue notices due now; how many notices were claimed."""
    if not ctx.staff_may_be_mailed(now):
        return 0
    today = london_date(now)
    directory = Directory.load(session)
    notices = (
        notice
        for deadline in running_deadlines(session, ctx, today)
        if (notice := _notice_for(ctx, directory, deadline, today)) is not None
    )
    claimed = 0
    for batch in _batches(notices, BATCH):
        claimed += claim_and_queue(session, batch, message_id_domain=ctx.mail.message_id_domain, now=now)
        session.commit()
    log.info("sla reminders: %d notice(s) queued", claimed)
    return claimed


def running_deadlines(session: Session, ctx: JobContext, today: date) -> list[RunningDeadline]:
    """Open cases' running deadlines that are within reach of a reminder point, or past and not yet notified.

    Filtered in the database: an index on (met_on, stopped_on, due_on) finds the running clocks due by the
    horizon, and a notice already sent for the due day (or its overdue notice) takes a clock out.
    """
    horizon = ctx.calendar.add_working_days(today, max(ctx.jobs.reminder_days))
    notices = ClockNotice.__table__.alias("sent")
    same_due = and_(notices.c.clock_id == Clock.id, notices.c.due_on == Clock.due_on)
    sent = select(func.min(notices.c.point)).where(same_due).scalar_subquery()
    query = (
        select(
            Clock.id,
            Clock.kind,
            Clock.due_on,
            Case.id.label("case_id"),
            Case.reference,
            Case.stage,
            Case.owner_team_id,
            Case.assigned_staff_id,
            sent.label("sent"),
        )
        .join(Case, Case.id == Clock.case_id)
        .where(
            Clock.met_on.is_(None),
            Clock.stopped_on.is_(None),
            Clock.due_on <= horizon,
            Clock.kind.in_(REMINDED_KINDS),
            Case.status == "open",
            # A passed acknowledgement deadline is the acknowledgement job's to flag.
            or_(Clock.kind != "acknowledge", Clock.due_on >= today),
            # Nothing more to send once the overdue notice, or before the deadline its nearest point, has gone.
            ~exists().where(
                same_due,
                or_(
                    notices.c.point == OVERDUE,
                    and_(notices.c.point == min(ctx.jobs.reminder_days), Clock.due_on >= today),
                ),
            ),
        )
        .order_by(Clock.due_on, Clock.id)
    )
    return [RunningDeadline(*row) for row in session.execute(query)]


def point_due(reminder_days: Sequence[int], working_days_left: int) -> int | None:
    """The reminder point whose moment has come and not yet been overtaken by a nearer one."""
    reached = [day for day in reminder_days if day >= working_days_left]
    return min(reached) if reached else None


def _notice_for(ctx: JobContext, directory: Directory, deadline: RunningDeadline, today: date) -> Notice | None:
    if deadline.due_on < today:
        point = OVERDUE
        days_late = ctx.calendar.working_days_between(deadline.due_on, today)
        recipients = _escalation_recipients(ctx, directory, deadline)
    else:
        left = ctx.calendar.working_days_between(today, deadline.due_on)
        found = point_due(ctx.jobs.reminder_days, left)
        if found is None:
            return None
        point, days_late = found, -left
        recipients = [directory.owner(deadline.team_id, deadline.staff_id)]
    if deadline.sent is not None and deadline.sent <= point:
        return None  # this point, or a nearer one, already went
    what = WHAT_IS_DUE[deadline.kind].format(stage=deadline.stage)
    headline = _headline(what, deadline.due_on, days_late)
    rendered = _render(ctx, directory, deadline, point, headline, what)  # once: the words name no recipient
    mails = tuple(_mail(deadline, point, address, rendered) for address in dict.fromkeys(recipients))
    return Notice(deadline.clock_id, deadline.due_on, point, mails)


def _escalation_recipients(ctx: JobContext, directory: Directory, deadline: RunningDeadline) -> list[str]:
    recipients = [directory.owner(deadline.team_id, deadline.staff_id)]
    recipients += directory.managers.get(deadline.team_id, [])
    if deadline.stage >= 2:
        recipients.append(directory.team_emails[ctx.crt_team])
    return recipients


def _headline(what: str, due_on: date, days_late: int) -> str:
    if days_late > 0:
        return f"Overdue by {days_late} working day{'s' if days_late != 1 else ''}: {what} was due {long_date(due_on)}"
    if days_late == 0:
        return f"Due today: {what}"
    left = -days_late
    return f"Due in {left} working day{'s' if left != 1 else ''}: {what}, by {long_date(due_on)}"


def _render(
    ctx: JobContext, directory: Directory, deadline: RunningDeadline, point: int, headline: str, what: str
) -> RenderedMail:
    return render(
        "sla_notice",
        f"[{deadline.reference}] {headline}",
        {
            "headline": headline,
            "what": what,
            "reference": deadline.reference,
            "team_name": directory.team_names[deadline.team_id],
            "stage": deadline.stage,
            "due": long_date(deadline.due_on),
            "overdue": point == OVERDUE,
            "case_url": ctx.case_url(deadline.reference),
        },
    )


def _mail(deadline: RunningDeadline, point: int, address: str, rendered: RenderedMail) -> Outgoing:
    kind = "escalation" if point == OVERDUE else "reminder"
    return rendered.to_staff(
        kind=kind,
        to_address=address,
        dedupe_key=f"{kind}:{deadline.clock_id}:{deadline.due_on.isoformat()}:{point}:{address}",
        case_id=deadline.case_id,
    )


def _batches(items: Iterator[Notice] | Any, size: int) -> Iterator[list[Notice]]:
    batch: list[Notice] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
