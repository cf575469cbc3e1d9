"""The scheduler's wiring: job definitions and next run times persist in the database and survive a restart;
a run missed while down fires once (coalesced); and queued mail reaches a real SMTP sink."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jobs_support import london
from sqlalchemy import Engine, text

from feedback.application import Application
from feedback.cli_jobs import job_runner
from intake.sink import MailSink
from jobs import scheduler as jobs_scheduler
from jobs.reminders import send_sla_reminders
from jobs.runner import JobRunner
from jobs.settings import JobsSettings

TABLE = "apscheduler_jobs_test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CountingRunner(JobRunner):
    def __init__(self) -> None:
        self.runs: list[str] = []
        self.lock = threading.Lock()

    def run(self, name: str) -> int:
        with self.lock:
            self.runs.append(name)
        return 0


@pytest.fixture
def jobs_settings(app: Application, migrated_engine: Engine) -> Iterator[JobsSettings]:
    yield app.settings.jobs.model_copy(update={"jobstore_table": TABLE})
    # The shared test database must keep exactly the models' schema (tests/store/test_migrations.py).
    with migrated_engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))


def _started(engine: Engine, settings: JobsSettings) -> tuple[Any, list[str]]:
    scheduler = jobs_scheduler.build_scheduler(engine, settings)
    return scheduler, jobs_scheduler.start(scheduler, settings)


def test_the_schedule_persists_and_a_restart_keeps_it(app: Application, jobs_settings: JobsSettings) -> None:
    jobs_scheduler.install(CountingRunner())
    scheduler, said = _started(app.engine, jobs_settings)
    first = jobs_scheduler.next_runs(scheduler)
    scheduler.shutdown(wait=False)
    assert set(first) == {"reminders", "windows", "acknowledgements", "digests", "outbox"}
    assert all(run is not None for run in first.values())
    assert first["digests"].weekday() == 0 and (first["digests"].hour, first["digests"].minute) == (8, 0)

    scheduler, said = _started(app.engine, jobs_settings)
    try:
        again = jobs_scheduler.next_runs(scheduler)
        assert {name: again[name] for name in ("reminders", "digests")} == {
            name: first[name] for name in ("reminders", "digests")
        }
        assert any(line.startswith("digests: kept, next run") for line in said)
    finally:
        scheduler.shutdown(wait=False)


def test_a_changed_schedule_replaces_the_stored_job(app: Application, jobs_settings: JobsSettings) -> None:
    jobs_scheduler.install(CountingRunner())
    scheduler, _ = _started(app.engine, jobs_settings)
    scheduler.shutdown(wait=False)
    changed = jobs_settings.model_copy(update={"scan_every_minutes": 5})
    scheduler, said = _started(app.engine, changed)
    scheduler.shutdown(wait=False)
    assert any(line.startswith("reminders: interval[0:05:00]") for line in said)


def test_runs_missed_while_down_fire_once_at_start(app: Application, jobs_settings: JobsSettings) -> None:
    runner = CountingRunner()
    jobs_scheduler.install(runner)
    scheduler, _ = _started(app.engine, jobs_settings)
    # As if the scheduler had been down for an hour: four 15-minute runs of the reminders missed.
    scheduler.pause()
    scheduler.modify_job("reminders", next_run_time=datetime.now(UTC) - timedelta(hours=1))
    scheduler.shutdown(wait=False)
    scheduler, said = _started(app.engine, jobs_settings)
    assert any(line.startswith("reminders: kept") for line in said)
    try:
        deadline = time.monotonic() + 10
        while "reminders" not in runner.runs and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        next_run = jobs_scheduler.next_runs(scheduler)["reminders"]
    finally:
        scheduler.shutdown(wait=True)
    # Once for the missed runs (coalesced), once for the catch-up every start makes.
    assert runner.runs.count("reminders") == 2
    assert next_run is not None and next_run.timestamp() > time.time()


def test_reminders_reach_a_real_smtp_sink(
    app: Application, new_case: Callable[..., str], run: Callable[..., int], tmp_path: Path, clock: Any
) -> None:
    sink = MailSink(tmp_path / "sent", port=free_port())
    sink.start()
    try:
        reference = new_case("statutory", london(2026, 3, 2, 9, 30), team="childrens_initial_response")
        run(send_sla_reminders, london(2026, 3, 11))
        mail = app.settings.mail.model_copy(
            update={"relay": app.settings.mail.relay.model_copy(update={"host": "127.0.0.1", "port": sink.port})}
        )
        settings = app.settings.model_copy(update={"mail": mail})
        runner = job_runner(Application.build(settings, now=clock, engine=app.engine))
        assert runner.run("outbox") == 1
        assert runner.run("outbox") == 0
    finally:
        sink.stop()
    received = sink.messages()
    assert [(m.recipients, m.subject) for m in received] == [
        (
            ("cir@council.example",),
            f"[{reference}] Due in 3 working days: the stage 1 response, by Monday 16 March 2026",
        )
    ]
    message = received[0].parsed()
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",))
    assert body is not None and f"/api/cases/{reference}" in body.get_content()
    assert message.get_body(("html",)) is not None
