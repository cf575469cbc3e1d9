"""Teams and staff: loaded from config.yml into the store, and staff API tokens.

config.yml is the source of truth for who works where; `sync_directory` makes the tables match it at
start-up. A member of staff who leaves the file is deactivated, not deleted, so the audit trail and old
assignments still name them. Tokens are random, shown once, and stored only as a SHA-256 hash.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from store import audit
from store.actors import Actor
from store.models import Staff, Team

TOKEN_BYTES = 32


class TeamEntry(Protocol):
    """A team as config.yml describes it (feedback.settings.TeamSettings fits)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def directorate(self) -> str: ...


class StaffEntry(Protocol):
    """A member of staff as config.yml describes them (feedback.settings.StaffSettings fits)."""

    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def role(self) -> str: ...


def sync_directory(session: Session, teams: Sequence[TeamEntry], staff: Sequence[StaffEntry]) -> None:
    """Make the teams and staff tables match the configuration."""
    known_teams = {team.id: team for team in session.scalars(select(Team))}
    for entry in teams:
        team = known_teams.get(entry.id) or Team(id=entry.id)
        team.name, team.email, team.directorate, team.active = entry.name, entry.email, entry.directorate, True
        session.add(team)
    for team_id, team in known_teams.items():
        if team_id not in {entry.id for entry in teams}:
            team.active = False
    session.flush()
    known_staff = {member.email: member for member in session.scalars(select(Staff))}
    wanted = {person.email.lower(): person for person in staff}
    for email, person in wanted.items():
        member = known_staff.get(email) or Staff(email=email)
        member.name, member.team_id, member.role, member.active = person.name, person.team, person.role, True
        session.add(member)
    for email, member in known_staff.items():
        if email not in wanted:
            member.active = False
            member.token_hash = None


def issue_token(session: Session, email: str, issued_by: Actor) -> str:
    """A new API token for a member of staff, replacing any earlier one; returned once, never stored."""
    member = session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.active.is_(True)))
    if member is None:
        raise LookupError(f"no active member of staff with email {email!r} (staff are listed in config.yml)")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    member.token_hash = hash_token(token)
    audit.record(session, issued_by, "staff.token_issued", None, staff_id=member.id)
    return token


def staff_actor(session: Session, token: str, crt_team: str) -> Actor | None:
    """The member of staff a token belongs to, or None for an unknown or revoked token."""
    member = session.scalar(select(Staff).where(Staff.token_hash == hash_token(token), Staff.active.is_(True)))
    return actor_for(member, crt_team) if member else None


def actor_for(member: Staff, crt_team: str) -> Actor:
    """The Actor a member of staff acts as: their email in the audit trail, their team's rights."""
    return Actor(name=member.email, staff_id=member.id, team_id=member.team_id, is_crt=member.team_id == crt_team)


def staff_id_by_email(session: Session, email: str) -> int | None:
    return session.scalar(select(Staff.id).where(Staff.email == email.strip().lower()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
