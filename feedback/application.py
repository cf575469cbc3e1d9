"""The composition root: settings in, a database and a case service out, built once per process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from feedback.settings import Settings
from intake.processing import MailProcessor
from store.citizen import LookupLimit
from store.db import make_engine, session_factory, transaction
from store.directory import sync_directory
from store.models import utcnow
from store.service import CaseService
from store.workdays import WorkingCalendar


@dataclass
class Application:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    service: CaseService
    # Set after a new case is committed, to wake the classification worker (feedback.classification).
    cases_waiting: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def build(
        cls, settings: Settings, *, now: Callable[[], datetime] = utcnow, engine: Engine | None = None
    ) -> Application:
        """Wire the parts; tests pass their own clock and an engine on an already-migrated database."""
        calendar = WorkingCalendar(
            first_year=settings.calendar.first_year,
            last_year=settings.calendar.known_until_year,
            extra_closures=settings.calendar.extra_closures,
        )
        service = CaseService(
            calendar=calendar,
            policy=settings.procedures,
            crt_team=settings.crt_team,
            team_for_service=settings.team_for_service,
            now=now,
        )
        engine = engine or make_engine(settings.database.url)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine), service=service)

    def sync_directory(self) -> None:
        """Bring the teams and staff tables in line with config.yml (run at every start-up)."""
        with transaction(self.sessions) as session:
            sync_directory(session, self.settings.teams, self.settings.staff)

    def mail_processor(self) -> MailProcessor:
        return MailProcessor(
            service=self.service,
            mail=self.settings.mail,
            council=self.settings.council,
            public_url=self.settings.web.public_url,
        )

    @property
    def lookup_limit(self) -> LookupLimit:
        limit = self.settings.web.status_lookup_limit
        return LookupLimit(attempts=limit.attempts, window=timedelta(minutes=limit.per_minutes))

    def close(self) -> None:
        self.engine.dispose()
