"""The directory: teams and staff follow config.yml; staff API tokens are shown once and stored hashed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from feedback.application import Application
from store.actors import Actor
from store.db import transaction
from store.directory import issue_token, staff_actor, sync_directory
from store.models import Staff, Team

ADMIN = Actor.system("cli")


@dataclass(frozen=True)
class Person:
    """A staff entry as config.yml would give it (store.directory.StaffEntry)."""

    email: str
    name: str
    team: str
    role: str = "officer"


def sync(app: Application, *, staff: list[Any] | None = None, teams: list[Any] | None = None) -> None:
    with transaction(app.sessions) as session:
        sync_directory(
            session,
            app.settings.teams if teams is None else teams,
            app.settings.staff if staff is None else staff,
        )


def directory(app: Application) -> dict[str, tuple[str, str, bool, bool]]:
    """email -> (team, role, active, has a token)."""
    with transaction(app.sessions) as session:
        return {
            member.email: (member.team_id, member.role, member.active, member.token_hash is not None)
            for member in session.scalars(select(Staff))
        }


def issue(app: Application, email: str) -> str:
    with transaction(app.sessions) as session:
        return issue_token(session, email, ADMIN)


def actor_for(app: Application, token: str) -> Actor | None:
    with transaction(app.sessions) as session:
        return staff_actor(session, token, app.settings.crt_team)


def without(app: Application, email: str) -> list[Any]:
    return [member for member in app.settings.staff if member.email != email]


# --- sync_directory ----------------------------------------------------------------------------------------


def test_the_directory_matches_config_yml(app: Application) -> None:
    with transaction(app.sessions) as session:
        teams = {team.id: (team.name, team.active) for team in session.scalars(select(Team))}
    assert len(teams) == len(app.settings.teams) == 17
    assert teams["crt"] == ("Customer Relations Team", True)
    assert teams["school_admissions"] == ("School Admissions", True)

    people = directory(app)
    assert len(people) == len(app.settings.staff) == 11
    assert people["alex.morgan@council.example"] == ("crt", "manager", True, False)
    assert people["lee.khan@council.example"] == ("school_admissions", "officer", True, False)


def test_staff_removed_from_config_are_deactivated_not_deleted_and_lose_their_token(app: Application) -> None:
    token = issue(app, "lee.khan@council.example")
    assert actor_for(app, token) is not None

    sync(app, staff=without(app, "lee.khan@council.example"))

    people = directory(app)
    assert people["lee.khan@council.example"] == ("school_admissions", "officer", False, False)
    assert people["pat.ellis@council.example"] == ("school_admissions", "manager", True, False)
    assert actor_for(app, token) is None
    with pytest.raises(LookupError, match="no active member of staff"):
        issue(app, "lee.khan@council.example")


def test_staff_who_return_to_config_are_reactivated_without_their_old_token(app: Application) -> None:
    token = issue(app, "robin.shaw@council.example")
    sync(app, staff=without(app, "robin.shaw@council.example"))

    sync(app)

    assert directory(app)["robin.shaw@council.example"] == ("sendar", "officer", True, False)
    assert actor_for(app, token) is None


def test_a_move_or_promotion_in_config_is_applied_to_the_same_person(app: Application) -> None:
    with transaction(app.sessions) as session:
        before = session.scalar(select(Staff.id).where(Staff.email == "lee.khan@council.example"))
    moved = [
        *without(app, "lee.khan@council.example"),
        Person(email="Lee.Khan@Council.example", name="Lee Khan", team="sendar", role="manager"),
    ]

    sync(app, staff=moved)

    with transaction(app.sessions) as session:
        member = session.scalars(select(Staff).where(Staff.email == "lee.khan@council.example")).one()
        assert (member.id, member.team_id, member.role, member.active) == (before, "sendar", "manager", True)
    assert len(directory(app)) == 11


def test_teams_removed_from_config_are_deactivated(app: Application) -> None:
    teams = [team for team in app.settings.teams if team.id != "eleven_plus"]
    sync(app, teams=teams)

    with transaction(app.sessions) as session:
        active = {team.id: team.active for team in session.scalars(select(Team))}
    assert active.pop("eleven_plus") is False
    assert all(active.values())


# --- tokens ------------------------------------------------------------------------------------------------


def test_a_token_identifies_its_member_of_staff(app: Application, audit_of: Callable[[str | None], list[Any]]) -> None:
    token = issue(app, "  Lee.Khan@council.example ")

    actor = actor_for(app, token)
    with transaction(app.sessions) as session:
        lee = session.scalars(select(Staff).where(Staff.email == "lee.khan@council.example")).one()
        assert lee.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert actor == Actor(name="lee.khan@council.example", staff_id=lee.id, team_id="school_admissions", is_crt=False)
    assert len(token) >= 40
    issued = audit_of(None)[-1]
    assert (issued.action, issued.actor, issued.detail) == ("staff.token_issued", "system:cli", {"staff_id": lee.id})


def test_crt_tokens_give_crt_actors(app: Application) -> None:
    actor = actor_for(app, issue(app, "sam.patel@council.example"))
    assert actor is not None
    assert (actor.name, actor.team_id, actor.is_crt, actor.is_staff) == ("sam.patel@council.example", "crt", True, True)


def test_a_new_token_replaces_the_old_one(app: Application) -> None:
    old = issue(app, "jo.reid@council.example")
    new = issue(app, "jo.reid@council.example")

    assert new != old
    assert actor_for(app, old) is None
    found = actor_for(app, new)
    assert found is not None and found.name == "jo.reid@council.example"


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 43])
def test_unknown_tokens_identify_no_one(app: Application, token: str) -> None:
    issue(app, "jo.reid@council.example")
    assert actor_for(app, token) is None


def test_tokens_are_only_for_staff_in_config(app: Application) -> None:
    with pytest.raises(LookupError, match=r"config\.yml"):
        issue(app, "stranger@council.example")
