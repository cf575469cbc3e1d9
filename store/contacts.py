"""The single view of the citizen: every case from one person hangs off one contact, matched by email or phone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Contact


@dataclass(frozen=True)
class ContactDetails:
    name: str | None = None
    email: str | None = None
    phone: str | None = None


def normalise_email(email: str) -> str:
    """Addresses match case-insensitively: people type `Jo.Bloggs@Example.com` one day and lower case the next."""
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """UK numbers in one form (`07700900123`), so `+44 7700 900123`, `+44 (0)7700 900123` and `07700 900 123` match."""
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("+44"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("0044"):
        digits = "0" + digits[4:].removeprefix("0")
    return digits


def match_contact(session: Session, details: ContactDetails) -> Contact | None:
    """The contact these details belong to, created if new; None when nothing identifies the person."""
    email = normalise_email(details.email) if details.email else None
    phone = normalise_phone(details.phone) if details.phone else None
    if not email and not phone:
        return None
    contact = _find(session, email, phone)
    if contact is None:
        contact = _create(session, details.name, email, phone)
    _fill_gaps(session, contact, details.name, email, phone)
    return contact


def _find(session: Session, email: str | None, phone: str | None) -> Contact | None:
    if email:
        found = session.scalar(select(Contact).where(Contact.email == email))
        if found or phone is None:
            return found
        # Someone who phoned first and now writes is the same person; but an email we have not seen on a
        # phone that already has another email is a new person (a family shares a home number).
        return session.scalar(select(Contact).where(Contact.phone == phone, Contact.email.is_(None)))
    return session.scalar(select(Contact).where(Contact.phone == phone))


def _create(session: Session, name: str | None, email: str | None, phone: str | None) -> Contact:
    # Two first messages from one person can race; the unique email decides, and the loser reads the winner.
    phone_taken = phone is not None and session.scalar(select(Contact.id).where(Contact.phone == phone))
    try:
        with session.begin_nested():
            contact = Contact(name=name, email=email, phone=None if phone_taken else phone)
            session.add(contact)
    except IntegrityError:
        found = _find(session, email, phone)
        if found is None:
            raise
        return found
    return contact


def _fill_gaps(session: Session, contact: Contact, name: str | None, email: str | None, phone: str | None) -> None:
    if name and not contact.name:
        contact.name = name
    if email and not contact.email:
        contact.email = email
    if phone and not contact.phone and not session.scalar(select(Contact.id).where(Contact.phone == phone)):
        contact.phone = phone
