"""The citizen's pages: the chat with the assistant, and the status page.

The status page is the same lookup as `GET /api/status`, as a plain accessible HTML form.

It answers a wrong email and an unknown reference the same way and shares the API's rate limit. The
email travels in a POST body, not the address bar, so it stays out of browser history and logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from feedback.api.auth import App
from feedback.api.public import NOT_FOUND
from intake.replies import long_date
from store.citizen import CitizenStatus, TooManyLookups, citizen_status
from store.db import transaction

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


@router.get("/chat", response_class=HTMLResponse)
def chat(request: Request, app: App) -> HTMLResponse:
    """The chat page: plain HTML and a little script that talks to the assistant's REST channel directly."""
    council = app.settings.council
    context = {
        "council": council.name,
        "phone": council.phone,
        "hours": council.hours,
        "webhook": app.settings.bot.public_url.rstrip("/") + "/webhooks/rest/webhook",
        "offline": f"Sorry, the assistant is not available just now. Please try again later, or call {council.phone} "
        f"({council.hours}).",
    }
    return templates.TemplateResponse(request, "chat.html", context)


@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request, app: App, reference: str = "") -> HTMLResponse:
    return _page(request, app, reference=reference[:40])


@router.post("/status", response_class=HTMLResponse)
def status_answer(
    request: Request,
    app: App,
    reference: Annotated[str, Form(max_length=40)],
    email: Annotated[str, Form(max_length=254)],
) -> HTMLResponse:
    client = request.client.host if request.client else "unknown"
    try:
        with transaction(app.sessions) as session:
            found = citizen_status(
                session, reference=reference, email=email, client=client, limit=app.lookup_limit, now=app.service.now()
            )
    except TooManyLookups:
        problem = "Too many unsuccessful attempts. Please wait a few minutes and try again, or call us."
        return _page(request, app, reference=reference, problem=problem, status_code=429)
    if found is None:
        return _page(request, app, reference=reference, problem=NOT_FOUND, status_code=404)
    return _page(request, app, reference=found.reference, status=found)


def _page(
    request: Request,
    app: App,
    *,
    reference: str = "",
    status: CitizenStatus | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    council = app.settings.council
    context = {
        "council": council.name,
        "phone": council.phone,
        "hours": council.hours,
        "reference": reference,
        "status": status,
        "problem": problem,
        "received": long_date(status.received_on) if status else None,
        "due": long_date(status.due_on) if status and status.due_on and status.status == "open" else None,
    }
    return templates.TemplateResponse(request, "status.html", context, status_code=status_code)
