"""Routes for citizens' channels: open a case, and the citizen's own status lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from feedback.api.auth import App, Credentials, OpenerActor, is_channel_token
from feedback.api.schemas import CaseCreated, CaseIn, Problem
from store.citizen import CitizenStatus, TooManyLookups, citizen_status
from store.contacts import ContactDetails
from store.db import transaction
from store.service import NewCase

router = APIRouter(prefix="/api", tags=["citizens"])

NOT_FOUND = "We could not find a case with that reference and email address."
STAFF_ONLY_CHANNELS = ("phone", "letter", "in_person")


@router.post("/cases", status_code=201, response_model=CaseCreated, responses={401: {"model": Problem}})
def open_case(body: CaseIn, app: App, actor: OpenerActor) -> CaseCreated:
    """Open a case from a chat, an email, or (staff only) a phone call, letter or visit."""
    if body.channel in STAFF_ONLY_CHANNELS and not actor.is_staff:
        raise HTTPException(403, f"only staff can open {body.channel} cases")
    contact = body.contact
    new = NewCase(
        channel=body.channel,
        text=body.text,
        case_type=body.type,
        subject=body.subject,
        contact=ContactDetails(name=contact.name, email=contact.email, phone=contact.phone) if contact else None,
        complainant_role=body.complainant_role,
        on_behalf_of_child=body.on_behalf_of_child,
        child_consents=body.child_knows_and_agrees,
        service=body.service,
        urgent=body.urgent,
    )
    with transaction(app.sessions) as session:
        case = app.service.open_case(session, new, actor)
        created = CaseCreated(
            reference=case.reference,
            type=case.type,
            procedure=case.procedure,
            stage=case.stage,
            status=case.status,
            due_on=case.due_on,
        )
    app.cases_waiting.set()  # committed: the classification worker can take it from here
    return created


@router.get(
    "/status/{reference}",
    response_model=CitizenStatus,
    responses={404: {"model": Problem}, 429: {"model": Problem}},
)
def case_status(
    reference: Annotated[str, Path(max_length=40)],
    email: Annotated[str, Query(min_length=3, max_length=254)],
    request: Request,
    app: App,
    credentials: Credentials,
    x_chat_client: Annotated[str | None, Header(max_length=64, include_in_schema=False)] = None,
) -> CitizenStatus | JSONResponse:
    """Where a citizen's case stands. A wrong email and an unknown reference get the same 404."""
    client = _lookup_client(request, app, credentials.credentials if credentials else None, x_chat_client)
    with transaction(app.sessions) as session:
        try:
            status = citizen_status(
                session,
                reference=reference[:40],
                email=email,
                client=client,
                limit=app.lookup_limit,
                now=app.service.now(),
            )
        except TooManyLookups as error:
            retry_after = str(int(app.lookup_limit.window.total_seconds()))
            return JSONResponse({"detail": str(error)}, status_code=429, headers={"Retry-After": retry_after})
        if status is None:
            return JSONResponse({"detail": NOT_FOUND}, status_code=404)
        return status


def _lookup_client(request: Request, app: App, token: str | None, chat_client: str | None) -> str:
    """Whose failed lookups count together: the caller's address, or for a channel, the person it acts for.

    Every chat lookup arrives from the assistant's action server, so keyed by address one person's typos
    would lock out every chat user. A channel (proven by its token) names the conversation instead. The
    per-reference count still applies to all, so spreading guesses over conversations gains nothing.
    """
    if chat_client and token and is_channel_token(app, token):
        return f"chat:{chat_client}"
    return request.client.host if request.client else "unknown"
