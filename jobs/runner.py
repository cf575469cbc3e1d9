"""The jobs by name, and running one: `feedback jobs run-now NAME` and the scheduler both come through here.

Each run opens its own session; the job commits its own batches, so a run killed half-way keeps what it
committed and the next run (state-based) does the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from intake.outbound import OutboxSender
from jobs.acknowledgements import flag_unacknowledged
from jobs.context import JobContext
from jobs.digests import send_weekly_digests
from jobs.reminders import send_sla_reminders
from jobs.windows import conclude_lapsed_windows
from store.models import utcnow

log = logging.getLogger(__name__)

Job = Callable[[JobContext, Session, datetime], int]

SCANS: Final[dict[str, Job]] = {
    "reminders": send_sla_reminders,
    "windows": conclude_lapsed_windows,
    "acknowledgements": flag_unacknowledged,
    "digests": send_weekly_digests,
}
JOB_NAMES: Final = (*SCANS, "outbox")


@dataclass
class JobRunner:
    ctx: JobContext
    sessions: sessionmaker[Session]
    now: Callable[[], datetime]
    # The outbox sender's leases are real time, even when a test runs the jobs on a simulated clock.
    sender_now: Callable[[], datetime] = utcnow

    def run(self, name: str) -> int:
        """Run one job now; what it did (notices, stages, digests queued, or messages sent)."""
        started = time.perf_counter()
        if name == "outbox":
            done = OutboxSender(self.sessions, self.ctx.mail, now=self.sender_now).send_due()
        elif name in SCANS:
            with self.sessions() as session:
                done = SCANS[name](self.ctx, session, self.now())
                session.commit()
        else:
            raise LookupError(f"no job {name!r}; the jobs are {', '.join(JOB_NAMES)}")
        log.info("job %s done in %.2fs: %d", name, time.perf_counter() - started, done)
        if self.ctx.jobs.simulation is not None:
            log.info("job %s ran at simulated %s", name, self.now().isoformat())
        return done
