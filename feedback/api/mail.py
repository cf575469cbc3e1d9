"""Routes for the CRT: received mail that needs a person (quarantined or set aside), and re-processing it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel
from sqlalchemy import select

from feedback.api.auth import App, StaffActor
from feedback.api.schemas import Problem
from store.db import transaction
from store.mailbox import requeue
from store.models import InboundMail

router = APIRouter(prefix="/api/mail", tags=["staff"], responses={401: {"model": Problem}, 403: {"model": Problem}})


class InboundMailOut(BaseModel):
    id: int
    status: str
    size: int
    received_at: datetime
    attempts: int
    last_error: str | None
    case_id: int | None


@router.get("", response_model=list[InboundMailOut])
def received_mail(
    app: App,
    actor: StaffActor,
    status: Literal["received", "processed", "ignored", "quarantined"] = "quarantined",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[InboundMailOut]:
    """Received messages by status, newest first; senders and bodies are read on the case, not here."""
    app.service.check_crt(actor, "see received mail")
    with transaction(app.sessions) as session:
        query = select(InboundMail).where(InboundMail.status == status).order_by(InboundMail.id.desc()).limit(limit)
        return [InboundMailOut.model_validate(mail, from_attributes=True) for mail in session.scalars(query)]


@router.post("/{mail_id}/requeue", response_model=InboundMailOut, responses={404: {"model": Problem}})
def requeue_mail(mail_id: Annotated[int, Path(ge=1, le=2**31 - 1)], app: App, actor: StaffActor) -> InboundMailOut:
    """Put a quarantined message back in the queue (after fixing what made it fail)."""
    app.service.check_crt(actor, "re-process received mail")
    with transaction(app.sessions) as session:
        try:
            mail = requeue(session, mail_id, actor)
        except LookupError as error:
            raise HTTPException(404, str(error)) from None
        return InboundMailOut.model_validate(mail, from_attributes=True)
