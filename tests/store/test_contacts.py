"""The single view of the citizen: one contact per person, matched by email or by phone."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from feedback.application import Application
from store.contacts import ContactDetails, match_contact, normalise_email, normalise_phone
from store.db import transaction
from store.models import Contact


def contacts(app: Application) -> list[tuple[str | None, str | None, str | None]]:
    with transaction(app.sessions) as session:
        rows = session.scalars(select(Contact).order_by(Contact.id))
        return [(row.name, row.email, row.phone) for row in rows]


def match(app: Application, **details: str) -> int | None:
    with transaction(app.sessions) as session:
        contact = match_contact(session, ContactDetails(**details))
        session.flush()
        return contact.id if contact else None


# --- normalising -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["jo.bloggs@example.org", "Jo.Bloggs@Example.ORG", "  JO.BLOGGS@EXAMPLE.ORG\n", "\tjo.bloggs@example.org "]
)
def test_emails_match_whatever_the_case_and_surrounding_space(typed: str) -> None:
    assert normalise_email(typed) == "jo.bloggs@example.org"


@pytest.mark.parametrize(
    "typed",
    [
        "07700900123",
        "07700 900123",
        "07700 900 123",
        "07700-900-123",
        "(07700) 900123",
        "+447700900123",
        "+44 7700 900123",
        "+44-7700-900-123",
        "0044 7700 900123",
    ],
)
def test_uk_numbers_take_one_form(typed: str) -> None:
    assert normalise_phone(typed) == "07700900123"


@pytest.mark.parametrize("typed", ["+44 (0)7700 900123", "+44 (0) 7700 900 123", "0044 (0)7700 900123"])
def test_regression_plus44_with_bracketed_trunk_zero(typed: str) -> None:
    """Bug: `+44 (0)7700 900123`, the way many UK email signatures write a number, normalised to
    `007700900123`, so the citizen got a second contact instead of their own."""
    assert normalise_phone(typed) == "07700900123"


def test_a_landline_keeps_its_area_code() -> None:
    assert normalise_phone("+44 1926 410410") == normalise_phone("01926 410410") == "01926410410"


# --- matching ----------------------------------------------------------------------------------------------


def test_nothing_identifying_means_no_contact(app: Application) -> None:
    assert match(app) is None
    assert match(app, name="A parent") is None
    assert match(app, email="   ", phone="") is None
    assert contacts(app) == []


def test_a_new_person_is_created_with_normalised_details(app: Application) -> None:
    match(app, name="Jo Bloggs", email="Jo.Bloggs@Example.org", phone="+44 7700 900123")
    assert contacts(app) == [("Jo Bloggs", "jo.bloggs@example.org", "07700900123")]


def test_email_matches_case_insensitively(app: Application) -> None:
    first = match(app, email="jo.bloggs@example.org")
    assert match(app, email="JO.Bloggs@EXAMPLE.org") == first
    assert len(contacts(app)) == 1


def test_phone_matches_across_plus44_and_0_forms(app: Application) -> None:
    first = match(app, phone="+44 7700 900123")
    assert match(app, phone="07700 900 123") == first
    assert match(app, phone="+44 (0)7700 900123") == first
    assert len(contacts(app)) == 1


def test_later_contacts_fill_the_gaps_but_never_overwrite(app: Application) -> None:
    first = match(app, email="jo.bloggs@example.org")
    assert match(app, name="Jo Bloggs", email="jo.bloggs@example.org", phone="07700 900123") == first
    assert match(app, name="Joanne B", email="jo.bloggs@example.org", phone="07700 111222") == first
    assert contacts(app) == [("Jo Bloggs", "jo.bloggs@example.org", "07700900123")]


def test_a_new_email_on_a_family_phone_is_a_new_person_and_the_phone_stays_put(app: Application) -> None:
    parent = match(app, name="Parent", email="parent@example.org", phone="07700 900123")
    # A teenager writes from their own address but gives the family's home number.
    child = match(app, name="Teen", email="teen@example.org", phone="+44 7700 900123")

    assert child != parent
    assert contacts(app) == [
        ("Parent", "parent@example.org", "07700900123"),
        ("Teen", "teen@example.org", None),  # the unique phone stays with whoever had it first
    ]
    assert match(app, phone="07700900123") == parent


def test_racing_first_messages_from_one_person_make_one_contact(app: Application) -> None:
    """Two first messages arrive together: the unique email decides, and the loser reads the winner."""
    if app.engine.dialect.name == "sqlite":
        pytest.skip("SQLite takes the write lock at BEGIN, so two writers never overlap")
    winner = app.sessions()
    winner.begin()
    winning = match_contact(winner, ContactDetails(email="jo.bloggs@example.org"))
    assert winning is not None
    winner.flush()

    found: list[int | None] = []

    def loser() -> None:
        # Blocks on the unique index until the winner commits, then fails its insert and reads the winner.
        found.append(match(app, name="Jo", email="Jo.Bloggs@example.org"))

    thread = threading.Thread(target=loser)
    thread.start()
    thread.join(timeout=0.3)
    assert thread.is_alive(), "the second insert should wait for the first transaction"
    winner.commit()
    thread.join(timeout=10)

    assert found == [winning.id]
    winner.close()
    with transaction(app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 1


def test_someone_who_phoned_first_and_then_emails_is_one_contact(app: Application) -> None:
    """A phone-only contact takes the email given later with the same number: one view of the citizen."""
    caller = match(app, name="Jo Bloggs", phone="07700 900123")
    assert match(app, email="jo.bloggs@example.org", phone="+44 7700 900123") == caller
    assert match(app, email="jo.bloggs@example.org") == caller
