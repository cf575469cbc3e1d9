"""A citizen's view of their case: the reference and the email it was raised with, and nothing for guessers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.application import Application
from store.actors import Actor
from store.citizen import CitizenStatus, LookupLimit, TooManyLookups, citizen_status
from store.contacts import ContactDetails
from store.db import transaction
from store.models import Case, StatusLookup
from store.service import CaseService

OpenCase = Callable[..., str]
WorkOn = Callable[[str], AbstractContextManager[tuple[Session, Case]]]
Audit = Callable[[str | None], list[Any]]

LIMIT = LookupLimit(attempts=3, window=timedelta(minutes=15))
EMAIL = "jo.bloggs@example.org"
UNKNOWN = "FB-0000-0000"  # well formed, with a valid check symbol, but no such case


@pytest.fixture
def lookup(app: Application, clock: Any) -> Callable[..., CitizenStatus | None]:
    """Factory: one status request, in its own transaction, at the clock's time."""

    def ask(reference: str, email: str = EMAIL, client: str = "203.0.113.5") -> CitizenStatus | None:
        with transaction(app.sessions) as session:
            return citizen_status(session, reference=reference, email=email, client=client, limit=LIMIT, now=clock())

    return ask


def test_the_right_reference_and_email_show_the_status(
    service: CaseService,
    open_case: OpenCase,
    work_on: WorkOn,
    crt: Actor,
    lookup: Callable[..., CitizenStatus | None],
    audit_of: Audit,
) -> None:
    reference = open_case("corporate")
    with work_on(reference) as (session, case):
        service.assign(session, case, crt, team_id="school_admissions", staff_id=None, reason=None)

    assert lookup(reference) == CitizenStatus(
        reference=reference,
        type="complaint",
        procedure="corporate",
        stage=1,
        status="open",
        team="School Admissions",
        received_on=date(2026, 3, 2),
        due_on=date(2026, 3, 23),
    )
    viewed = audit_of(reference)[-1]
    assert (viewed.action, viewed.actor) == ("case.status_viewed", "citizen")


@pytest.mark.parametrize("typed", ["JO.BLOGGS@EXAMPLE.ORG", "Jo.Bloggs@Example.org", "  jo.bloggs@example.org\n"])
def test_the_email_matches_whatever_its_case(
    open_case: OpenCase, lookup: Callable[..., CitizenStatus | None], typed: str
) -> None:
    reference = open_case("question", contact=ContactDetails(email="Jo.Bloggs@example.ORG"))
    status = lookup(reference.lower().replace("-", ""), email=typed)
    assert status is not None
    assert (status.reference, status.team, status.due_on) == (
        reference,
        "Customer Relations Team",
        date(2026, 3, 16),
    )


def test_a_wrong_email_and_an_unknown_reference_get_the_same_nothing(
    app: Application, open_case: OpenCase, lookup: Callable[..., CitizenStatus | None], audit_of: Audit
) -> None:
    reference = open_case("corporate")

    assert lookup(reference, email="someone.else@example.org") is None
    assert lookup(UNKNOWN) is None
    assert lookup("FB-nonsense") is None

    with transaction(app.sessions) as session:
        rows = session.scalars(select(StatusLookup).order_by(StatusLookup.id))
        assert [(row.reference, row.found) for row in rows] == [(reference, False), (UNKNOWN, False), (None, False)]
    assert "case.status_viewed" not in [event.action for event in audit_of(reference)]


def test_an_anonymous_case_is_never_found(open_case: OpenCase, lookup: Callable[..., CitizenStatus | None]) -> None:
    anonymous = open_case("corporate", contact=None)
    by_phone = open_case("corporate", channel="phone", contact=ContactDetails(phone="07700 900123"))

    assert lookup(anonymous, email="") is None
    assert lookup(anonymous) is None
    assert lookup(by_phone, email="") is None


def test_failed_lookups_from_one_client_are_limited_until_the_window_passes(
    open_case: OpenCase, lookup: Callable[..., CitizenStatus | None], clock: Any
) -> None:
    reference = open_case("corporate")
    for guess in ("a@example.org", "b@example.org", "c@example.org"):
        assert lookup(reference, email=guess, client="198.51.100.7") is None

    # Even the right answer is refused while the client is over the limit, for every reference...
    with pytest.raises(TooManyLookups, match="try again later"):
        lookup(reference, client="198.51.100.7")
    with pytest.raises(TooManyLookups):
        lookup(UNKNOWN, client="198.51.100.7")
    clock.advance(minutes=15)
    with pytest.raises(TooManyLookups):  # the window includes its first instant
        lookup(reference, client="198.51.100.7")
    clock.advance(seconds=1)

    assert lookup(reference, client="198.51.100.7") is not None


def test_failed_lookups_for_one_reference_are_limited_whoever_asks(
    open_case: OpenCase, lookup: Callable[..., CitizenStatus | None], clock: Any
) -> None:
    reference, other = open_case("corporate"), open_case("question")
    for number in range(3):
        assert lookup(reference, email="guess@example.org", client=f"192.0.2.{number}") is None
        clock.advance(minutes=1)

    with pytest.raises(TooManyLookups):
        lookup(reference, client="192.0.2.200")
    assert lookup(other, client="192.0.2.200") is not None  # other references and that client are fine

    clock.advance(minutes=13)  # the first failure is now older than the window: two remain
    assert lookup(reference, client="192.0.2.201") is not None


def test_successful_lookups_do_not_count(open_case: OpenCase, lookup: Callable[..., CitizenStatus | None]) -> None:
    reference = open_case("corporate")
    for _ in range(LIMIT.attempts + 2):
        assert lookup(reference) is not None


def test_a_refused_lookup_is_not_itself_counted(
    app: Application, open_case: OpenCase, lookup: Callable[..., CitizenStatus | None], clock: Any
) -> None:
    reference = open_case("corporate")
    for _ in range(3):
        lookup(reference, email="guess@example.org")
    for _ in range(5):
        with pytest.raises(TooManyLookups):
            lookup(reference)

    with transaction(app.sessions) as session:
        assert len(list(session.scalars(select(StatusLookup)))) == 3
    clock.advance(minutes=16)
    assert lookup(reference) is not None
