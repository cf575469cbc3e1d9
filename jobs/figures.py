"""The digests' figures, computed in the database: a few grouped queries, whatever the number of cases.

Weeks run Monday to Sunday in Europe/London; a digest sent in week W reports on week W-1 (the last whole
week), compares it with W-2 and with the same ISO week a year earlier, and lists what is due in week W.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from store.models import Case, Clock, Staff, StageEntry, Team
from store.workdays import LONDON, WorkingCalendar

# A stage's final response: what "closed within SLA" is measured on (panel steps are intermediate).
FINAL_RESPONSES: Final = ("respond", "council_response")


@dataclass(frozen=True)
class Period:
    first: date  # a Monday
    last: date  # the Sunday after

    @classmethod
    def iso_week(cls, year: int, week: int) -> Period:
        # A year without a week 53 compares with its week 52.
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            monday = date.fromisocalendar(year, week - 1, 1)
        return cls(monday, monday + timedelta(days=6))

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(0), LONDON)

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), LONDON)

    @property
    def label(self) -> str:
        year, week, _ = self.first.isocalendar()
        return f"{year}-W{week:02d}"

    def previous(self) -> Period:
        return Period(self.first - timedelta(days=7), self.last - timedelta(days=7))

    def a_year_earlier(self) -> Period:
        year, week, _ = self.first.isocalendar()
        return Period.iso_week(year - 1, week)


@dataclass(frozen=True)
class Listed:
    reference: str
    case_type: str
    stage: int
    due_on: date
    officer: str | None
    team_name: str = ""
    working_days_overdue: int = 0


@dataclass
class TeamFigures:
    team_id: str
    open: int = 0
    due_this_week: int = 0
    overdue: int = 0
    new_since_last_digest: int = 0
    awaiting_low_confidence_review: int = 0
    due_list: list[Listed] = field(default_factory=list)
    overdue_list: list[Listed] = field(default_factory=list)


def team_figures(
    session: Session, *, today: date, week: Period, since: dict[str, datetime], list_limit: int
) -> dict[str, TeamFigures]:
    """Every team's figures; `since[team]` is when its last digest went."""
    figures = {team_id: TeamFigures(team_id) for team_id in session.scalars(select(Team.id).where(Team.active))}
    is_open = Case.status == "open"
    counts = session.execute(
        select(
            Case.owner_team_id,
            func.count().filter(is_open),
            func.count().filter(is_open, Case.due_on.between(week.first, week.last)),
            func.count().filter(is_open, Case.due_on < today),
            func.count().filter(Case.needs_review.is_(True), Case.low_confidence.is_(True)),
        )
        .where(or_(is_open, and_(Case.needs_review.is_(True), Case.low_confidence.is_(True))))
        .group_by(Case.owner_team_id)
    )
    for team_id, open_count, due, overdue, low in counts:
        if team_id in figures:
            found = figures[team_id]
            found.open, found.due_this_week, found.overdue, found.awaiting_low_confidence_review = (
                open_count,
                due,
                overdue,
                low,
            )
    for team_id, found in figures.items():
        found.new_since_last_digest = (
            session.scalar(
                select(func.count()).where(Case.owner_team_id == team_id, Case.received_at >= since[team_id])
            )
            or 0
        )
    for listed_team, item in _ranked(session, Case.due_on.between(week.first, week.last), list_limit):
        figures[listed_team].due_list.append(item)
    for listed_team, item in _ranked(session, Case.due_on < today, list_limit):
        figures[listed_team].overdue_list.append(item)
    return figures


def _ranked(session: Session, condition: object, limit: int) -> list[tuple[str, Listed]]:
    """Up to `limit` open cases per team meeting `condition`, soonest (or longest overdue) first."""
    rank = func.row_number().over(partition_by=Case.owner_team_id, order_by=(Case.due_on, Case.id)).label("rank")
    inner = (
        select(
            Case.owner_team_id, Case.reference, Case.type, Case.stage, Case.due_on, Staff.name.label("officer"), rank
        )
        .outerjoin(Staff, Staff.id == Case.assigned_staff_id)
        .where(Case.status == "open", condition)  # type: ignore[arg-type]
        .subquery()
    )
    rows = session.execute(select(inner).where(inner.c.rank <= limit).order_by(inner.c.owner_team_id, inner.c.rank))
    return [(row.owner_team_id, Listed(row.reference, row.type, row.stage, row.due_on, row.officer)) for row in rows]


@dataclass
class Volumes:
    """Cases received, by type and by service, in the week, the week before and the same week last year."""

    by_type: dict[str, tuple[int, int, int]]
    by_service: dict[str, tuple[int, int, int]]
    totals: tuple[int, int, int]


@dataclass
class Compliance:
    """Per case type: final responses given last week within / after their deadline, and open past due."""

    within: dict[str, int]
    exceeded: dict[str, int]
    open_past_due: dict[str, int]


@dataclass
class ManagerFigures:
    week: Period
    volumes: Volumes
    compliance: Compliance
    open_by_stage: dict[int, int]
    entered_by_stage: dict[int, int]
    longest_overdue: list[Listed]


def manager_figures(
    session: Session, *, today: date, week: Period, calendar: WorkingCalendar, longest: int
) -> ManagerFigures:
    return ManagerFigures(
        week=week,
        volumes=_volumes(session, week),
        compliance=_compliance(session, today, week),
        open_by_stage=_open_by_stage(session),
        entered_by_stage=_entered_by_stage(session, week),
        longest_overdue=_longest_overdue(session, today, calendar, longest),
    )


def _volumes(session: Session, week: Period) -> Volumes:
    periods = (week, week.previous(), week.a_year_earlier())
    within = [and_(Case.received_at >= p.starts, Case.received_at < p.ends) for p in periods]
    rows = session.execute(
        select(Case.type, Case.service, *(func.count().filter(condition) for condition in within))
        .where(or_(*within))
        .group_by(Case.type, Case.service)
    ).all()
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_service: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    totals = [0, 0, 0]
    for case_type, service, *counts in rows:
        for index, count in enumerate(counts):
            by_type[case_type][index] += count
            by_service[service or "not yet classified"][index] += count
            totals[index] += count
    return Volumes(_triples(by_type), _triples(by_service), (totals[0], totals[1], totals[2]))


def _triples(found: dict[str, list[int]]) -> dict[str, tuple[int, int, int]]:
    return {key: (counts[0], counts[1], counts[2]) for key, counts in sorted(found.items())}


def _compliance(session: Session, today: date, week: Period) -> Compliance:
    met = session.execute(
        select(
            Case.type,
            func.count().filter(Clock.met_on <= Clock.due_on),
            func.count().filter(Clock.met_on > Clock.due_on),
        )
        .join(Case, Case.id == Clock.case_id)
        .where(Clock.kind.in_(FINAL_RESPONSES), Clock.met_on.between(week.first, week.last))
        .group_by(Case.type)
    ).all()
    past_due = session.execute(
        select(Case.type, func.count()).where(Case.status == "open", Case.due_on < today).group_by(Case.type)
    ).all()
    return Compliance(
        within={row[0]: row[1] for row in met},
        exceeded={row[0]: row[2] for row in met},
        open_past_due={row[0]: row[1] for row in past_due},
    )


def _open_by_stage(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Case.stage, func.count()).where(Case.status == "open", Case.stage >= 2).group_by(Case.stage)
    )
    found = {stage: count for stage, count in rows}
    return {2: found.get(2, 0), 3: found.get(3, 0)}


def _entered_by_stage(session: Session, week: Period) -> dict[int, int]:
    rows = session.execute(
        select(StageEntry.stage, func.count())
        .where(StageEntry.stage >= 2, StageEntry.requested_on.between(week.first, week.last))
        .group_by(StageEntry.stage)
    )
    found = {stage: count for stage, count in rows}
    return {2: found.get(2, 0), 3: found.get(3, 0)}


def _longest_overdue(session: Session, today: date, calendar: WorkingCalendar, limit: int) -> list[Listed]:
    rows = session.execute(
        select(Case.reference, Case.type, Case.stage, Case.due_on, Staff.name, Team.name)
        .join(Team, Team.id == Case.owner_team_id)
        .outerjoin(Staff, Staff.id == Case.assigned_staff_id)
        .where(Case.status == "open", Case.due_on < today)
        .order_by(Case.due_on, Case.id)
        .limit(limit)
    )
    listed = []
    for reference, case_type, stage, due_on, officer, team in rows:
        assert due_on is not None  # selected by due_on < today
        late = calendar.working_days_between(due_on, today)
        listed.append(Listed(reference, case_type, stage, due_on, officer, team, late))
    return listed
