"""The outbox: mail to send, queued in the same transaction as the change that causes it.

Enqueueing is idempotent on `dedupe_key` (the same acknowledgement, reminder or digest is queued once,
however often the code that queues it runs); a sender drains the queue with retries (intake.outbound).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import OutboxMessage


@dataclass(frozen=True)
class Outgoing:
    kind: str
    to_address: str
    subject: str
    body_text: str
    dedupe_key: str
    body_html: str | None = None
    case_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def new_message_id(domain: str) -> str:
    return f"<{secrets.token_hex(16)}@{domain}>"


def enqueue(session: Session, outgoing: Outgoing, *, message_id_domain: str, at: datetime) -> str | None:
    """Queue a message; its Message-ID, or None if one with the same dedupe key was already queued."""
    row = _row(outgoing, message_id_domain, at)
    statement = dialect_insert(session, OutboxMessage).values(**row)
    statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    # RETURNING, not rowcount: psycopg reports -1 rows for a skipped insert, which reads as "inserted".
    inserted = session.execute(statement.returning(OutboxMessage.id)).first()
    return str(row["message_id"]) if inserted is not None else None


def enqueue_many(session: Session, mails: Sequence[Outgoing], *, message_id_domain: str, at: datetime) -> int:
    """`enqueue` for many messages in one statement; those already queued are skipped. How many were queued."""
    if not mails:
        return 0
    rows = [_row(mail, message_id_domain, at) for mail in mails]
    statement = dialect_insert(session, OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # executemany with RETURNING (SQLAlchemy's "insertmanyvalues"): compiled once, sent in batches.
    return len(session.execute(statement.returning(OutboxMessage.id), rows).all())


def dialect_insert(session: Session, target: Any) -> Any:
    """The dialect's INSERT (both PostgreSQL and SQLite have ON CONFLICT DO NOTHING and RETURNING)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(target)


def _row(outgoing: Outgoing, message_id_domain: str, at: datetime) -> dict[str, Any]:
    return {
        "dedupe_key": outgoing.dedupe_key[:200],
        "kind": outgoing.kind,
        "case_id": outgoing.case_id,
        "to_address": outgoing.to_address,
        "message_id": new_message_id(message_id_domain),
        "subject": outgoing.subject,
        "body_text": outgoing.body_text,
        "body_html": outgoing.body_html,
        "headers": outgoing.headers,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }


def sent_recently(session: Session, *, to_address: str, kind: str, since: datetime) -> int:
    """How many messages of this kind went to this address since `since` (the robot-loop limit)."""
    query = select(func.count(OutboxMessage.id)).where(
        OutboxMessage.to_address == to_address, OutboxMessage.kind == kind, OutboxMessage.created_at >= since
    )
    return session.scalar(query) or 0


def case_for_message_ids(session: Session, message_ids: list[str]) -> int | None:
    """The case one of our sent messages belongs to, for replies that quote its Message-ID."""
    if not message_ids:
        return None
    query = select(OutboxMessage.case_id).where(
        OutboxMessage.message_id.in_(message_ids), OutboxMessage.case_id.is_not(None)
    )
    return session.scalars(query.order_by(OutboxMessage.id.desc())).first()


def is_ours(session: Session, message_id: str | None) -> bool:
    """Whether a message is one we sent (our own mail coming back must never be answered)."""
    if not message_id:
        return False
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.message_id == message_id)) is not None


def due(session: Session, *, now: datetime, limit: int = 50) -> list[OutboxMessage]:
    """Pending messages whose next attempt is due, locked for this transaction (skipped by other senders)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def backoff(attempts: int, *, first: timedelta, ceiling: timedelta) -> timedelta:
    """Doubling delays between attempts, capped: 1 min, 2, 4, … up to the ceiling."""
    delay: timedelta = first * (2 ** max(0, attempts - 1))
    return min(delay, ceiling)
