"""The audit trail: one row per change to a case and per staff read of one.

Details name what changed, never a message body or a child's details: the trail is read more widely
than the cases are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.actors import Actor
from store.models import AuditEvent, utcnow


def record(session: Session, actor: Actor, action: str, case_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(at=utcnow(), actor=actor.name, action=action, case_id=case_id, detail=detail))
