"""Received email as units of work: accepted once, claimed by one worker, processed or quarantined.

The pattern of Mailman's switchboard: the SMTP edge only commits the raw message; a worker claims one
message at a time and, in the same transaction, turns it into a case and marks it done. A message the
worker cannot handle is parked (`quarantined`) with its error for staff, never dropped, and can be put
back in the queue once whatever was wrong is fixed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store import audit
from store.actors import Actor
from store.models import InboundMail, utcnow

MAX_ATTEMPTS = 5
MAX_ERROR_CHARS = 4000


def dedupe_key(raw: bytes, envelope_sender: str) -> str:
    """The same message from the same sender gets the same key, so a relay's retry is stored once.

    Keyed on Message-ID and the envelope sender when there is a Message-ID, else on the exact bytes.
    """
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:64_000])
    message_id = str(headers.get("Message-ID") or "").strip()
    basis = f"{message_id}\0{envelope_sender.lower()}".encode() if message_id else raw
    return hashlib.sha256(basis).hexdigest()


def accept(session: Session, raw: bytes, *, envelope_sender: str, recipients: list[str], at: datetime) -> bool:
    """Store a received message; False if it was already stored (the same message sent again)."""
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
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(InboundMail).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # RETURNING, not rowcount: psycopg reports -1 rows for a skipped insert, which reads as "inserted".
    return session.execute(statement.returning(InboundMail.id)).first() is not None


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
