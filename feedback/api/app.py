"""The FastAPI application: routes, the body-size limit, and one error shape for every refusal.

Refusals from the case service become 403/404/409/422 with a message; a request that fails validation
becomes 422 naming the field. Nothing a client sends should reach a 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from feedback.api import public, staff
from feedback.api.access_log import AccessLog
from feedback.api.limits import BodySizeLimit
from feedback.application import Application
from store.errors import CaseError, CaseNotFound, Conflict, InvalidRequest, NotAllowed

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
    api.include_router(staff.router)
    api.add_exception_handler(CaseError, _case_error)  # type: ignore[arg-type]
    api.add_middleware(BodySizeLimit, max_bytes=application.settings.web.max_body_bytes)
    api.add_middleware(AccessLog)

    @api.get("/api/health", tags=["operations"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return api


async def _case_error(_request: Request, error: CaseError) -> JSONResponse:
    status = next(code for kind, code in STATUS_FOR_ERROR.items() if isinstance(error, kind))
    return JSONResponse({"detail": str(error)}, status_code=status)
