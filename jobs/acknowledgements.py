"""Acknowledgement deadlines (corporate procedure): a complaint not acknowledged in time is flagged to the CRT.

The LGSCO Code gives 5 working days to acknowledge. The owner has had the reminders (jobs.reminders); once
the acknowledgement clock's due day has passed with the case still unacknowledged, the CRT hears, once per
clock and due date (the notice is claimed in `clock_notices`). Working days and hours only.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from intake.replies import long_date
from jobs.context import Directory, JobContext
from jobs.notices import OVERDUE, Notice, claim_and_queue
from jobs.render import render
from store.models import Case, Clock, ClockNotice
from store.workdays import london_date

log = logging.getLogger(__name__)


def flag_unacknowledged(ctx: JobContext, session: Session, now: datetime) -> int:
    """Flag to the CRT every open case whose acknowledgement deadline has passed; how many were flagged."""
    if not ctx.staff_may_be_mailed(now):
        return 0
    today = london_date(now)
    directory = Directory.load(session)
    crt = directory.team_emails[ctx.crt_team]
    sent = and_(ClockNotice.clock_id == Clock.id, ClockNotice.due_on == Clock.due_on, ClockNotice.point == OVERDUE)
    late = session.execute(
        select(Clock.id, Clock.due_on, Case.id, Case.reference, Case.stage, Case.owner_team_id)
        .join(Case, Case.id == Clock.case_id)
        .where(
            Clock.kind == "acknowledge",
            Clock.met_on.is_(None),
            Clock.stopped_on.is_(None),
            Clock.due_on < today,
            Case.status == "open",
            Case.acknowledged_at.is_(None),
            ~exists().where(sent),
        )
        .order_by(Clock.due_on, Clock.id)
    ).all()
    notices = []
    for clock_id, due_on, case_id, reference, stage, team_id in late:
        days = ctx.calendar.working_days_between(due_on, today)
        late_by = f"{days} working day{'s' if days != 1 else ''}"
        headline = f"Not acknowledged: the acknowledgement was due {long_date(due_on)}, {late_by} ago"
        rendered = render(
            "sla_notice",
            f"[{reference}] {headline}",
            {
                "headline": headline,
                "what": "the acknowledgement of the complaint",
                "reference": reference,
                "team_name": directory.team_names[team_id],
                "stage": stage,
                "due": long_date(due_on),
                "overdue": True,
                "case_url": ctx.case_url(reference),
            },
        )
        mail = rendered.to_staff(
            kind="escalation",
            to_address=crt,
            dedupe_key=f"unacknowledged:{clock_id}:{due_on.isoformat()}:{crt}",
            case_id=case_id,
        )
        notices.append(Notice(clock_id, due_on, OVERDUE, (mail,)))
    flagged = claim_and_queue(session, notices, message_id_domain=ctx.mail.message_id_domain, now=now)
    session.commit()
    log.info("acknowledgement deadlines: %d case(s) flagged to the CRT", flagged)
    return flagged
