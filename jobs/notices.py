"""Exactly-once sends: claim a notice in `clock_notices`, then queue its mail in the same transaction.

Two keys guard every send, both unique in the database: the notice (clock, due date, point) and each
outbox row's `dedupe_key` (the notice plus the recipient). A run that repeats, overlaps another, or is
killed half-way can neither send twice (the second claim finds the row) nor lose a send (claim and mail
commit together or not at all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import Table, tuple_
from sqlalchemy.orm import Session

from store.models import ClockNotice
from store.outbox import Outgoing, dialect_insert, enqueue_many

OVERDUE: Final = -1


@dataclass(frozen=True)
class Notice:
    clock_id: int
    due_on: date
    point: int
    mails: tuple[Outgoing, ...]

    @property
    def key(self) -> tuple[int, date, int]:
        return (self.clock_id, self.due_on, self.point)


def claim_and_queue(session: Session, notices: Sequence[Notice], *, message_id_domain: str, now: datetime) -> int:
    """Claim the notices nobody has claimed yet and queue their mail; how many were claimed."""
    if not notices:
        return 0
    table: Table = ClockNotice.__table__  # type: ignore[assignment]
    rows = [{"clock_id": n.clock_id, "due_on": n.due_on, "point": n.point, "sent_at": now} for n in notices]
    statement = dialect_insert(session, table).on_conflict_do_nothing(index_elements=["clock_id", "due_on", "point"])
    # executemany with RETURNING (SQLAlchemy's "insertmanyvalues"): compiled once, sent in batches.
    returning = statement.returning(table.c.clock_id, table.c.due_on, table.c.point)
    claimed = {(row.clock_id, row.due_on, row.point) for row in session.execute(returning, rows)}
    mails = [mail for notice in notices if notice.key in claimed for mail in notice.mails]
    enqueue_many(session, mails, message_id_domain=message_id_domain, at=now)
    return len(claimed)


def already_claimed(session: Session, keys: Sequence[tuple[int, date, int]]) -> set[tuple[int, date, int]]:
    """Which of these notices were claimed before (to skip rendering mail nobody will send)."""
    if not keys:
        return set()
    table: Table = ClockNotice.__table__  # type: ignore[assignment]
    columns = tuple_(table.c.clock_id, table.c.due_on, table.c.point)
    found = session.execute(
        table.select().with_only_columns(table.c.clock_id, table.c.due_on, table.c.point).where(columns.in_(keys))
    )
    return {(row.clock_id, row.due_on, row.point) for row in found}
