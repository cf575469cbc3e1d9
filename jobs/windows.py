"""Complainants' windows: when the time to ask for the next stage lapses, the stage is recorded as concluded.

The window is a clock (`request_window`) started when a complaint stage's response is given; once its due
day has passed with no request, the case service stops it and audits the conclusion. No email goes to the
citizen unless `jobs.notify_complainant_on_lapse` is set. Not limited to working hours: it sends staff nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.replies import long_date
from jobs.context import JobContext
from jobs.render import render
from store.actors import Actor
from store.models import Case, Clock
from store.outbox import Outgoing, enqueue
from store.workdays import london_date

log = logging.getLogger(__name__)

ACTOR = Actor.system("scheduler")
BATCH = 500


def conclude_lapsed_windows(ctx: JobContext, session: Session, now: datetime) -> int:
    """Record every lapsed window's stage as concluded; how many."""
    today = london_date(now)
    concluded = 0
    while True:
        lapsed = session.execute(
            select(Clock, Case)
            .join(Case, Case.id == Clock.case_id)
            .where(
                Clock.kind == "request_window",
                Clock.met_on.is_(None),
                Clock.stopped_on.is_(None),
                Clock.due_on < today,
            )
            .order_by(Clock.id)
            .limit(BATCH)
            # Another scheduler concluding the same windows holds their rows: skip them, it will finish them.
            .with_for_update(skip_locked=True, of=Clock)
        ).all()
        for window, case in lapsed:
            ctx.service.conclude_after_window(session, case, window, ACTOR)
            if ctx.jobs.notify_complainant_on_lapse and case.contact is not None and case.contact.email:
                _tell_complainant(ctx, session, case, window, now)
        session.commit()
        concluded += len(lapsed)
        if len(lapsed) < BATCH:
            break
    log.info("complainant windows: %d stage(s) concluded", concluded)
    return concluded


def _tell_complainant(ctx: JobContext, session: Session, case: Case, window: Clock, now: datetime) -> None:
    assert case.contact is not None and case.contact.email
    rendered = render(
        "window_lapsed",
        f"[{case.reference}] Your complaint is concluded",
        {"reference": case.reference, "stage": case.stage, "window_closed": long_date(window.due_on)},
    )
    outgoing = Outgoing(
        kind="window_lapsed",
        to_address=case.contact.email,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        dedupe_key=f"window_lapsed:{window.id}",
        case_id=case.id,
    )
    enqueue(session, outgoing, message_id_domain=ctx.mail.message_id_domain, at=now)
