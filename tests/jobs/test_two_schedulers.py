"""Two real `feedback scheduler` processes against one PostgreSQL database for a simulated week, one of them
killed (SIGKILL) mid-week and restarted: every reminder, escalation and digest is queued once, and the real
SMTP sink receives each exactly once.

The processes run on one simulated clock (`jobs.simulation`: a start time, the real moment it starts, and a
speed; for tests only) with every job on a short tick, so the week passes in about half a minute.

The seeded cases and what the week owes them (Sunday 1 March 20:00 to Monday 9 March 10:30):
  S1 statutory, received 17 Feb, due Tue 3 Mar: its 3-day reminder, missed before the week, on Monday;
     the due-day reminder on Tuesday (officer); on Wednesday, overdue (officer, manager)
  S2 statutory, received 25 Feb, due Wed 11 Mar: the 3-day reminder on Fri 6 Mar (officer)
  C1 corporate, received 24 Feb, acknowledge by Tue 3 Mar: the same two reminders (team); unacknowledged on
     Wednesday (CRT)
  W1 statutory, closed 3 Feb; its window to ask for stage 2 closes 3 Mar: concluded, no mail
  Digests: 17 teams + the CRT + 4 managers, for weeks 10 and 11 (Mondays 2 and 9 March), and at start-up
  week 9's, the week current when the schedulers start, which nobody had sent.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jobs_support import london
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from feedback.application import Application
from feedback.settings import Settings
from intake.outbound import LEASE, OutboxSender
from intake.sink import MailSink
from store.access import find_case
from store.actors import Actor
from store.contacts import ContactDetails
from store.db import transaction
from store.migrate import upgrade
from store.models import AuditEvent, OutboxMessage, Staff
from store.service import Closing, NewCase

pytestmark = pytest.mark.postgres

ADMIN_URL = os.environ.get("FEEDBACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # Sunday evening (GMT in March: London time too)
END = london(2026, 3, 9, 10, 30)
# A working day's hours pass in about 2 s of real time: several ticks fall in them even on a busy machine.
SPEED = 15_000.0
TICK_SECONDS = 0.4
KILL_AT = london(2026, 3, 5, 12, 0)
SETTLE_SECONDS = 2.0
# The processes take a few seconds to import (spaCy, for the classifiers' commands); the week starts after.
STARTUP_SECONDS = 10.0


@pytest.fixture
def database_url() -> Iterator[str]:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"feedback_sched_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable: {error}")
        pytest.skip(f"PostgreSQL is unreachable: {error}")
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(app: Application, moment: list[datetime]) -> dict[str, str]:
    def open_case(preset: dict[str, object], received: datetime, team: str, officer: str | None = None) -> str:
        moment[0] = received
        with transaction(app.sessions) as session:
            crt = _crt(session)
            case = app.service.open_case(
                session,
                NewCase(
                    channel="email",
                    text="About my son's plan.",
                    received_at=received,
                    contact=ContactDetails(name="Jo Bloggs", email="jo.bloggs@example.org"),
                    **preset,  # type: ignore[arg-type]
                ),
                Actor.channel("email"),
            )
            staff_id = session.scalar(select(Staff.id).where(Staff.email == officer)) if officer else None
            app.service.assign(session, case, crt, team_id=team, staff_id=staff_id, reason=None)
            return case.reference

    statutory = {"case_type": "complaint", "service": "childrens_initial_response", "complainant_role": "young_person"}
    corporate = {"case_type": "complaint", "service": "school_admissions", "complainant_role": "parent_carer"}
    refs = {
        "S1": open_case(
            statutory, london(2026, 2, 17, 9, 30), "childrens_initial_response", "chris.owen@council.example"
        ),
        "S2": open_case(
            statutory, london(2026, 2, 25, 9, 30), "childrens_initial_response", "chris.owen@council.example"
        ),
        "C1": open_case(corporate, london(2026, 2, 24, 9, 30), "school_admissions"),
        "W1": open_case(statutory, london(2026, 1, 20, 9, 30), "childrens_initial_response"),
    }
    moment[0] = london(2026, 2, 3, 12)
    with transaction(app.sessions) as session:
        case = find_case(session, refs["W1"])
        assert case is not None
        closing = Closing(
            lessons_learned="Visits are confirmed in writing.",
            lesson_theme="communication",
            outcome="not_upheld",
            remedies=("explanation_provided",),
        )
        app.service.close(session, case, _crt(session), closing)
    return refs


def _crt(session: object) -> Actor:
    member = session.scalars(select(Staff).where(Staff.email == "alex.morgan@council.example")).one()  # type: ignore[attr-defined]
    return Actor(name=member.email, staff_id=member.id, team_id="crt", is_crt=True)


def _scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "feedback", "scheduler"], env=env, stdout=output, stderr=subprocess.STDOUT
        )


def _sleep_until(anchor: datetime, simulated: datetime) -> None:
    real = anchor + (simulated - START) / SPEED
    time.sleep(max(0.0, (real - datetime.now(UTC)).total_seconds()))


def test_two_schedulers_and_a_kill_send_everything_once(
    database_url: str, base_settings: Settings, tmp_path: Path
) -> None:
    moment = [START]
    settings = base_settings.model_copy(
        update={"database": base_settings.database.model_copy(update={"url": database_url})}
    )
    app = Application.build(settings, now=lambda: moment[0])
    upgrade(app.engine)
    app.sync_directory()
    refs = _seed(app, moment)

    sink = MailSink(tmp_path / "sent", port=_free_port())
    sink.start()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDBACK_")}
    env.update(
        {
            "FEEDBACK_DATABASE__URL": database_url,
            "FEEDBACK_MAIL__RELAY__HOST": "127.0.0.1",
            "FEEDBACK_MAIL__RELAY__PORT": str(sink.port),
            "FEEDBACK_JOBS__SIMULATION__SPEED": str(SPEED),
            "FEEDBACK_JOBS__SIMULATION__TICK_SECONDS": str(TICK_SECONDS),
        }
    )
    anchor = datetime.now(UTC) + timedelta(seconds=STARTUP_SECONDS)  # both are up before the week begins
    env["FEEDBACK_JOBS__SIMULATION__START"] = START.isoformat()
    env["FEEDBACK_JOBS__SIMULATION__ANCHOR"] = anchor.isoformat()
    first = _scheduler(env, tmp_path / "first.log")
    second = _scheduler(env, tmp_path / "second.log")
    restarted = None
    try:
        _sleep_until(anchor, KILL_AT)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        restarted = _scheduler(env, tmp_path / "restarted.log")
        _sleep_until(anchor, END)
        time.sleep(SETTLE_SECONDS)
        for process in (second, restarted):
            assert process.poll() is None, (tmp_path / "second.log").read_text()[-3000:]
    finally:
        for process in (first, second, restarted):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (first, second, restarted):
            if process is not None:
                process.wait(timeout=30)

    # Whatever the killed process held under a lease goes now (as it would once the lease expires).
    relay = settings.mail.relay.model_copy(update={"host": "127.0.0.1", "port": sink.port})
    drain = OutboxSender(
        app.sessions,
        settings.mail.model_copy(update={"relay": relay}),
        now=lambda: datetime.now(UTC) + LEASE + timedelta(minutes=1),
    )
    drain.send_due()
    sink.stop()

    with transaction(app.sessions) as session:
        rows = session.execute(
            select(
                OutboxMessage.kind,
                OutboxMessage.to_address,
                OutboxMessage.subject,
                OutboxMessage.dedupe_key,
                OutboxMessage.message_id,
                OutboxMessage.status,
            )
        ).all()
        concluded = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.stage_concluded")
        )
    app.close()

    notices = sorted(
        (kind, to, subject.split("]")[0].lstrip("[")) for kind, to, subject, _, _, _ in rows if kind != "digest"
    )
    assert notices == sorted(
        [
            ("reminder", "chris.owen@council.example", refs["S1"]),
            ("reminder", "chris.owen@council.example", refs["S1"]),
            ("escalation", "chris.owen@council.example", refs["S1"]),
            ("escalation", "dana.hughes@council.example", refs["S1"]),
            ("reminder", "chris.owen@council.example", refs["S2"]),
            ("reminder", "admissions@council.example", refs["C1"]),
            ("reminder", "admissions@council.example", refs["C1"]),
            ("escalation", "customerrelations@council.example", refs["C1"]),
        ]
    )
    digests = Counter(
        key.split(":")[-1] if key.startswith("digest:team") else key.split(":")[2]
        for kind, _, _, key, _, _ in rows
        if kind == "digest"
    )
    # Started on the Sunday, the schedulers first owe the digests of the week then current (week 9), and
    # send them if their first run comes before Monday 08:00 (start-up takes some seconds of real time).
    assert (digests["2026-W10"], digests["2026-W11"], digests.get("2026-W09", 22)) == (22, 22, 22)
    assert set(digests) <= {"2026-W09", "2026-W10", "2026-W11"}
    assert concluded == 1
    assert {status for *_, status in rows} == {"sent"}
    received = Counter(mail.message_id for mail in sink.messages())
    assert received == Counter({message_id: 1 for *_, message_id, _ in rows})
