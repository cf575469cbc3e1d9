"""The feedback service's HTTP API, as the chat channel uses it: open a case, look one up, read a procedure.

The assistant is one channel among others: it holds a channel token and never touches the database.
Every failure becomes an `ApiUnavailable` or a typed refusal, so an action can tell the person plainly
what happened and keep what they said.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from actions.config import load

# The procedure texts change only when config.yml does; one request per few minutes is plenty.
GUIDE_TTL_SECONDS = 300.0


class ApiUnavailable(Exception):
    """The API could not be reached or failed on its side: try again later, nothing is lost."""


class ApiRefused(Exception):
    """The API refused what we sent (422): `fields` names the parts it objected to."""

    def __init__(self, fields: set[str]) -> None:
        super().__init__(f"refused fields: {sorted(fields)}")
        self.fields = fields


class TooManyLookups(Exception):
    """Too many failed status lookups recently (429)."""


@dataclass(frozen=True)
class OpenedCase:
    reference: str
    case_type: str
    procedure: str
    stage: int
    due_on: str | None


@dataclass(frozen=True)
class CaseStatus:
    reference: str
    case_type: str
    procedure: str
    stage: int
    status: str
    team: str
    due_on: str | None


@dataclass(frozen=True)
class ProcedureGuide:
    procedure: str
    overview: list[str]
    first_steps: list[str]


_guides: dict[tuple[str, str], tuple[float, ProcedureGuide]] = {}


async def open_case(body: dict[str, Any]) -> OpenedCase:
    """POST /api/cases as the chat channel."""
    status, payload = await _request("POST", "/api/cases", json=body)
    if status == 201:
        return OpenedCase(
            reference=payload["reference"],
            case_type=payload["type"],
            procedure=payload["procedure"],
            stage=int(payload["stage"]),
            due_on=payload.get("due_on"),
        )
    if status == 422:
        raise ApiRefused(_refused_fields(payload))
    raise ApiUnavailable(f"POST /api/cases answered {status}")


async def case_status(reference: str, email: str, conversation: str) -> CaseStatus | None:
    """The case's status, or None when the reference and email do not match a case (whichever was wrong).

    Failed lookups are limited per conversation (X-Chat-Client, trusted with our channel token), not per
    address: every chat lookup comes from this server, and one person's typos must not lock out the rest.
    """
    path = f"/api/status/{quote(reference, safe='')}"
    client = hashlib.sha256(conversation.encode()).hexdigest()[:32]
    status, payload = await _request("GET", path, params={"email": email}, headers={"X-Chat-Client": client})
    if status == 200:
        return CaseStatus(
            reference=payload["reference"],
            case_type=payload["type"],
            procedure=payload["procedure"],
            stage=int(payload["stage"]),
            status=payload["status"],
            team=payload["team"],
            due_on=payload.get("due_on"),
        )
    if status in (404, 422):
        return None
    if status == 429:
        raise TooManyLookups()
    raise ApiUnavailable(f"GET /api/status answered {status}")


async def procedure_guide(procedure: str, case_type: str = "complaint") -> ProcedureGuide:
    """The plain-words explanation of a procedure, from the same configuration the clocks run on."""
    key = (procedure, case_type)
    cached = _guides.get(key)
    if cached and time.monotonic() - cached[0] < GUIDE_TTL_SECONDS:
        return cached[1]
    status, payload = await _request("GET", f"/api/procedures/{procedure}", params={"type": case_type})
    if status != 200:
        raise ApiUnavailable(f"GET /api/procedures/{procedure} answered {status}")
    guide = ProcedureGuide(
        procedure=payload["procedure"], overview=list(payload["overview"]), first_steps=list(payload["first_steps"])
    )
    _guides[key] = (time.monotonic(), guide)
    return guide


async def _request(
    method: str,
    path: str,
    *,
    json: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    settings = load()
    headers = {**(headers or {}), "Authorization": f"Bearer {settings.channel_token}"}
    timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, headers=headers) as session,
            session.request(method, settings.api_url + path, json=json, params=params) as response,
        ):
            try:
                payload = await response.json(content_type=None)
            except ValueError:
                payload = None
            return response.status, payload
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        raise ApiUnavailable(f"{method} {path}: {type(error).__name__}") from None


def _refused_fields(payload: Any) -> set[str]:
    """The body fields a 422 names (`contact.email` → `email`), so the form can ask for just those again."""
    fields: set[str] = set()
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if isinstance(detail, list):
        for problem in detail:
            location = problem.get("loc", []) if isinstance(problem, dict) else []
            named = [str(part) for part in location if part not in ("body",)]
            if named:
                fields.add(named[-1])
    return fields
