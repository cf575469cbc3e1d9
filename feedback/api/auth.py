"""Bearer tokens: each member of staff has their own; channels acting for citizens have configured ones."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from feedback.application import Application
from store.actors import Actor
from store.db import transaction
from store.directory import staff_actor

bearer = HTTPBearer(auto_error=False, description="A staff member's token, or a channel's token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def application(request: Request) -> Application:
    app: Application = request.app.state.application
    return app


App = Annotated[Application, Depends(application)]


def _unauthorised() -> HTTPException:
    return HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})


def _channel_actor(app: Application, token: str) -> Actor | None:
    return Actor.channel("api") if is_channel_token(app, token) else None


def is_channel_token(app: Application, token: str) -> bool:
    """Whether `token` is one of the configured channel tokens (compared in constant time)."""
    return any(hmac.compare_digest(known.encode(), token.encode()) for known in app.settings.web.channel_tokens)


def _staff(app: Application, token: str) -> Actor | None:
    if len(token) > 200:
        return None
    with transaction(app.sessions) as session:
        return staff_actor(session, token, app.settings.crt_team)


def staff_or_channel(app: App, credentials: Credentials) -> Actor:
    """Who may open a case: a channel acting for a citizen, or a member of staff taking a call or letter."""
    if credentials is None:
        raise _unauthorised()
    actor = _channel_actor(app, credentials.credentials) or _staff(app, credentials.credentials)
    if actor is None:
        raise _unauthorised()
    return actor


def staff_only(app: App, credentials: Credentials) -> Actor:
    if credentials is None:
        raise _unauthorised()
    actor = _staff(app, credentials.credentials)
    if actor is None:
        raise _unauthorised()
    return actor


OpenerActor = Annotated[Actor, Depends(staff_or_channel)]
StaffActor = Annotated[Actor, Depends(staff_only)]
