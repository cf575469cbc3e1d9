"""The scheduler: APScheduler 3 with its job store in our database, running the jobs on their schedules.

Job definitions and next run times live in `jobs.jobstore_table` (APScheduler's SQLAlchemyJobStore), so a
restart keeps the schedule: a run missed while down fires once at start-up (coalesce=True) if within
`misfire_grace_seconds`, and never twice at once in a process (max_instances=1). Several schedulers may
run against one PostgreSQL database: they may both fire a job, but every send is claimed under a unique
key in the database, so nothing goes twice.

APScheduler pickles a job's function by reference and its arguments, so the job is `run_job(name)`
and reaches the process's runner through `install()`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from jobs.runner import JobRunner
from jobs.settings import JobsSettings, SimulationSettings
from store.models import utcnow
from store.workdays import LONDON

log = logging.getLogger(__name__)

_runner: JobRunner | None = None


def install(runner: JobRunner) -> None:
    global _runner
    _runner = runner


def run_job(name: str) -> None:
    """What APScheduler calls (by reference); errors are logged and the next run tries again."""
    if _runner is None:
        raise RuntimeError("jobs.scheduler.install() was not called in this process")
    try:
        _runner.run(name)
    except Exception:
        log.exception("job %s failed; its next run will pick up what it left", name)
        raise


@dataclass(frozen=True)
class SimulatedClock:
    """Tests only: time that starts at `start` when the process starts and runs `speed` times faster."""

    start: datetime
    speed: float
    began: datetime

    @classmethod
    def from_settings(cls, simulation: SimulationSettings) -> SimulatedClock:
        return cls(simulation.start, simulation.speed, simulation.anchor or utcnow())

    def __call__(self) -> datetime:
        return self.start + (utcnow() - self.began) * self.speed


def clock_for(jobs: JobsSettings) -> Callable[[], datetime]:
    return SimulatedClock.from_settings(jobs.simulation) if jobs.simulation else utcnow


def triggers(jobs: JobsSettings) -> dict[str, Any]:
    """Each job's trigger: the deadline scans every few minutes, the digests weekly, the outbox often."""
    if jobs.simulation is not None:
        tick = IntervalTrigger(seconds=jobs.simulation.tick_seconds)
        return {name: tick for name in ("reminders", "windows", "acknowledgements", "digests", "outbox")}
    scan = IntervalTrigger(minutes=jobs.scan_every_minutes, timezone=LONDON)
    digest = jobs.digest
    return {
        "reminders": scan,
        "windows": scan,
        "acknowledgements": scan,
        "digests": CronTrigger(
            day_of_week=digest.weekday, hour=digest.at.hour, minute=digest.at.minute, timezone=LONDON
        ),
        "outbox": IntervalTrigger(seconds=jobs.outbox_every_seconds, timezone=LONDON),
    }


class Scheduler(BackgroundScheduler):  # type: ignore[misc]  # APScheduler has no type hints
    """APScheduler's BackgroundScheduler, minus one race.

    In 3.11 the scheduler thread, woken by shutdown(), processes due jobs once more after the executors have
    stopped: a job due at that moment fails to submit but its next run time still advances in the job store,
    so the run is lost (a weekly digest would wait a week). Stopped means stopped.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        try:
            wait: float | None = super()._process_jobs()
        except JobLookupError:
            # A one-off job removed by a shutdown that began while it was being processed: nothing to do.
            return None if self.state == STATE_STOPPED else 1.0
        return wait


def build_scheduler(engine: Engine, jobs: JobsSettings) -> Scheduler:
    store = SQLAlchemyJobStore(engine=engine, tablename=jobs.jobstore_table)
    _create_table(store)
    return Scheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": jobs.misfire_grace_seconds},
        timezone=LONDON,
    )


def _create_table(store: SQLAlchemyJobStore) -> None:
    """APScheduler creates its table at start; two schedulers starting at once race to create it, and the
    loser's CREATE fails. Create it first, and if another process got there in between, it exists now."""
    for attempt in range(3):
        try:
            store.jobs_t.create(store.engine, checkfirst=True)
            return
        except SQLAlchemyError:
            if attempt == 2:
                raise
            time.sleep(0.2)


def start(scheduler: Scheduler, jobs: JobsSettings) -> list[str]:
    """Start, keeping each stored job whose trigger is unchanged (and so its next run time); lines to show."""
    scheduler.start(paused=True)
    wanted = triggers(jobs)
    said = []
    for stored in scheduler.get_jobs(jobstore="default"):
        if stored.id not in wanted:
            scheduler.remove_job(stored.id)
    for name, trigger in wanted.items():
        stored = scheduler.get_job(name)
        if stored is not None and str(stored.trigger) == str(trigger) and jobs.simulation is None:
            said.append(f"{name}: kept, next run {stored.next_run_time:%Y-%m-%d %H:%M:%S %Z}")
            continue
        scheduler.add_job(
            run_job,
            trigger,
            args=[name],
            id=name,
            name=name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=jobs.misfire_grace_seconds,
        )
        said.append(f"{name}: {trigger}")
    # Once at start-up, not stored: the scans and digests are state-based, so one run catches up whatever
    # was missed while down, however long ago (beyond misfire_grace_seconds too).
    for name in ("windows", "reminders", "acknowledgements", "digests"):
        scheduler.add_job(run_job, args=[name], id=f"{name}-at-start", name=f"{name} at start", jobstore="memory")
    scheduler.resume()
    return said


def next_runs(scheduler: Scheduler) -> dict[str, datetime | None]:
    return {job.id: job.next_run_time for job in scheduler.get_jobs(jobstore="default")}
