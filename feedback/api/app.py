"""The FastAPI application: routes, the body-size limit, and one error shape for every refusal.

Refusals from the case service become 403/404/409/422 with a message; a request that fails validation
becomes 422 naming the field. Nothing a client sends should reach a 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from feedback.api import guide, mail, pages, public, staff
from feedback.api.access_log import AccessLog
from feedback.api.limits import BodySizeLimit
from feedback.application import Application
from store.errors import CaseError, CaseNotFound, Conflict, InvalidRequest, NotAllowed
from store.workdays import HolidayDataMissing

STATUS_FOR_ERROR: dict[type[CaseError], int] = {
    CaseNotFound: 404,
    NotAllowed: 403,
    Conflict: 409,
    InvalidRequest: 422,
}


def create_app(application: Application) -> FastAPI:
    api = FastAPI(
        title="Council feedback intake",
        version="0.1.0",
        description="Complaints, compliments, comments and questions about children's and education services.",
    )
    api.state.application = application
    api.include_router(public.router)
    api.include_router(guide.router)
    api.include_router(staff.router)
    api.include_router(pages.router)
    api.include_router(mail.router)
    api.add_exception_handler(CaseError, _case_error)  # type: ignore[arg-type]
    api.add_exception_handler(HolidayDataMissing, _outside_calendar)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    api.add_middleware(BodySizeLimit, max_bytes=application.settings.web.max_body_bytes)
    api.add_middleware(AccessLog)

    @api.get("/api/health", tags=["operations"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return api


async def _case_error(_request: Request, error: CaseError) -> JSONResponse:
    status = next(code for kind, code in STATUS_FOR_ERROR.items() if isinstance(error, kind))
    return JSONResponse({"detail": str(error)}, status_code=status)


async def _outside_calendar(_request: Request, error: HolidayDataMissing) -> JSONResponse:
    """A date the working-day calendar does not cover (an escalation requested in 1999, say)."""
    return JSONResponse({"detail": str(error)}, status_code=422)


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, without echoing each bad `input` back: it may be a child's details, a 100 kB text,
    or a value JSON cannot carry (a NaN from the request would make the answer itself fail with a 500)."""
    problems = [{key: value for key, value in problem.items() if key != "input"} for problem in error.errors()]
    return JSONResponse({"detail": jsonable_encoder(problems)}, status_code=422)
