"""Received email as units of work: accepted once, claimed by one worker, processed or quarantined.

The pattern of Mailman's switchboard: the SMTP edge only commits the raw message; a worker claims one
message at a time and, in the same transaction, turns it into a case and marks it done. A message the
worker cannot handle is parked (`quarantined`) with its error for staff, never dropped, and can be put
back in the queue once whatever was wrong is fixed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store import audit
from store.actors import Actor
from store.models import InboundMail, utcnow

MAX_ATTEMPTS = 5
MAX_ERROR_CHARS = 4000
MAX_HEADER_BYTES = 64_000
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"(?im)^message-id:\s*(<[^<>\s]{1,900}>)")
# Built once: compiling an insert per message cost more than the rest of the SMTP edge together.
# RETURNING, not rowcount: psycopg reports -1 rows for a skipped insert, which reads as "inserted".
_TABLE = InboundMail.__table__
_INSERTS = {
    name: dialect.insert(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(_TABLE.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def dedupe_key(raw: bytes, envelope_sender: str) -> str:
    """The same message from the same sender gets the same key, so a relay's retry is stored once.

    Keyed on Message-ID and the envelope sender when there is a Message-ID, else on the exact bytes. The
    SMTP edge computes this for every message, so it reads only the header block, with one regex.
    """
    header_end = _HEADER_END.search(raw, 0, MAX_HEADER_BYTES)
    found = _MESSAGE_ID.search(raw, 0, header_end.start() if header_end else MAX_HEADER_BYTES)
    basis = found.group(1) + b"\0" + envelope_sender.lower().encode() if found else raw
    return hashlib.sha256(basis).hexdigest()


def accept(
    session: Session | Connection, raw: bytes, *, envelope_sender: str, recipients: list[str], at: datetime
) -> bool:
    """Store a received message; False if it was already stored (the same message sent again).

    Takes a Core connection as well as a session: the SMTP edge stores one row per message and answers only
    after the commit, so it skips the ORM's unit of work on this path.
    """
    values = {
        "dedupe_key": dedupe_key(raw, envelope_sender),
        "envelope_sender": envelope_sender[:998],
        "recipients": recipients,
        "raw": raw,
        "size": len(raw),
        "received_at": at,
        "status": "received",
        "attempts": 0,
    }
    dialect = session.get_bind().dialect.name if isinstance(session, Session) else session.dialect.name
    return session.execute(_INSERTS[dialect], values).first() is not None


def claim_next(session: Session) -> InboundMail | None:
    """The oldest message waiting, locked for this transaction (other workers skip it on PostgreSQL)."""
    query = (
        select(InboundMail)
        .where(InboundMail.status == "received")
        .order_by(InboundMail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).first()


def mark_processed(mail: InboundMail, *, case_id: int | None, status: str = "processed") -> None:
    mail.status = status
    mail.case_id = case_id
    mail.processed_at = utcnow()
    mail.last_error = None


def record_failure(session: Session, mail_id: int, error: str, *, permanent: bool) -> None:
    """Count a failed attempt; a permanent failure, or too many, parks the message in quarantine."""
    mail = session.get(InboundMail, mail_id)
    if mail is None:
        return
    mail.attempts += 1
    mail.last_error = error[:MAX_ERROR_CHARS]
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        mail.status = "quarantined"


def requeue(session: Session, mail_id: int, actor: Actor) -> InboundMail:
    """Staff put a quarantined message back in the queue, e.g. after fixing what made it fail."""
    mail = session.get(InboundMail, mail_id)
    if mail is None or mail.status != "quarantined":
        raise LookupError(f"no quarantined message {mail_id}")
    mail.status = "received"
    mail.attempts = 0
    audit.record(session, actor, "mail.requeued", None, mail_id=mail_id)
    return mail


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(InboundMail.status, func.count(InboundMail.id)).group_by(InboundMail.status))
    return {status: count for status, count in rows.tuples()}
