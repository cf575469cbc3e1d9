"""What every job needs: the calendar, the settings, who to write to, and when staff may be written to.

Jobs are plain functions of `(JobContext, session, now)`: the scheduler, `feedback jobs run-now` and the
tests call them the same way, the tests with a controllable clock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import MailSettings
from jobs.settings import JobsSettings
from store.models import Staff, Team
from store.policy import ProcedurePolicy
from store.service import CaseService
from store.workdays import LONDON, WorkingCalendar, london_date


@dataclass(frozen=True)
class JobContext:
    service: CaseService
    jobs: JobsSettings
    mail: MailSettings
    public_url: str
    crt_team: str

    @property
    def calendar(self) -> WorkingCalendar:
        return self.service.calendar

    @property
    def policy(self) -> ProcedurePolicy:
        return self.service.policy

    def staff_may_be_mailed(self, now: datetime) -> bool:
        """Reminders and escalations go on working days within working hours only (never at 2 a.m.)."""
        local = now.astimezone(LONDON)
        hours = self.jobs.working_hours
        return self.calendar.is_working_day(local.date()) and hours.start <= local.time() < hours.end

    def case_url(self, reference: str) -> str:
        return f"{self.public_url.rstrip('/')}/api/cases/{reference}"


@dataclass(frozen=True)
class Directory:
    """Teams' names and addresses, active staff addresses and each team's managers, read once per run."""

    team_names: dict[str, str]
    team_emails: dict[str, str]
    staff_emails: dict[int, str]
    managers: dict[str, list[str]]

    @classmethod
    def load(cls, session: Session) -> Directory:
        teams = session.execute(select(Team.id, Team.name, Team.email)).all()
        staff = session.execute(
            select(Staff.id, Staff.email, Staff.team_id, Staff.role).where(Staff.active.is_(True))
        ).all()
        managers: dict[str, list[str]] = defaultdict(list)
        for member in staff:
            if member.role == "manager":
                managers[member.team_id].append(member.email)
        return cls(
            team_names={team.id: team.name for team in teams},
            team_emails={team.id: team.email for team in teams},
            staff_emails={member.id: member.email for member in staff},
            managers=dict(managers),
        )

    def owner(self, team_id: str, staff_id: int | None) -> str:
        """The assigned officer, else the team's shared address."""
        if staff_id is not None and staff_id in self.staff_emails:
            return self.staff_emails[staff_id]
        return self.team_emails[team_id]

    def all_managers(self) -> list[str]:
        return sorted({email for emails in self.managers.values() for email in emails})


def today_in_london(now: datetime) -> date:
    return london_date(now)
