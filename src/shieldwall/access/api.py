"""Sign-in for scripts (OAuth2 password flow), personal access tokens, who am I."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request, status

from shieldwall.access.model import Actor
from shieldwall.access.schemas import MeOut, PersonalTokenIn, PersonalTokenOut, TokenInfo, TokenOut
from shieldwall.access.service import AccessService, parse_scopes, sign_in
from shieldwall.access.web import Ctx, Reader, client_address
from shieldwall.kit.params import RecordId
from shieldwall.kit.problems import problem_responses
from shieldwall.kit.text import SingleLine

router = APIRouter(prefix="/api/v1/auth", tags=["access"])


@router.post("/token", response_model=TokenOut, responses=problem_responses(401, 429, public=True))
def password_token(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=80), SingleLine],
    password: Annotated[str, Form(max_length=1000), SingleLine],
    scope: Annotated[str, Form(max_length=40), SingleLine] = "read write",
    grant_type: Annotated[str, Form(pattern="^password$")] = "password",
) -> dict[str, object]:
    """OAuth2 password flow: a bearer token for scripts, valid for SHIELDWALL_TOKEN_HOURS.
    Scopes: ``read`` or ``read write`` (write needs read: ``write`` alone is refused)."""
    actor = sign_in(ctx, username, password, client_address(request))
    hours = ctx.settings.token_hours
    with ctx.unit_of_work() as uow:
        secret, _info = AccessService(uow).issue_token(
            actor,
            kind="oauth",
            name="password flow",
            scopes=parse_scopes(scope),
            expires_in=dt.timedelta(hours=hours),
        )
    return {
        "access_token": secret,
        "token_type": "bearer",
        "expires_in": hours * 3600,
        "scope": " ".join(sorted(parse_scopes(scope))),
    }


def _me(who: Actor) -> dict[str, object]:
    return {
        "username": who.name,
        "delegation": who.delegation,
        "delegation_kind": who.delegation_kind,
        "role": who.role,
        "scopes": sorted(who.scopes),
    }


@router.get("/me", response_model=MeOut, responses=problem_responses(401))
def me(who: Reader) -> dict[str, object]:
    return _me(who)


@router.get("/tokens", response_model=list[TokenInfo], responses=problem_responses(401))
def list_tokens(ctx: Ctx, who: Reader) -> list[dict[str, object]]:
    """Your personal access tokens (never their secrets); needs the read scope."""
    with ctx.unit_of_work() as uow:
        return AccessService(uow).list_tokens(who)


@router.post(
    "/tokens",
    response_model=PersonalTokenOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403),
)
def issue_token(body: PersonalTokenIn, ctx: Ctx, who: Reader) -> dict[str, object]:
    """A personal access token, scoped and revocable. The secret is in this answer only.

    Needs a credential with the write scope. Scopes: ``["read"]`` or ``["read", "write"]``
    (write needs read). It lives ``expires_in_days``, at most SHIELDWALL_PERSONAL_TOKEN_MAX_DAYS
    (default 90); without ``expires_in_days``, that maximum."""
    with ctx.unit_of_work() as uow:
        secret, info = AccessService(uow).issue_token(
            who,
            kind="personal",
            name=body.name,
            scopes=frozenset(body.scopes),
            expires_in=dt.timedelta(days=body.expires_in_days) if body.expires_in_days else None,
        )
    return {**info, "token": secret}


@router.delete(
    "/tokens/{token_id}", response_model=TokenInfo, responses=problem_responses(401, 403, 404)
)
def revoke_token(token_id: RecordId, ctx: Ctx, who: Reader) -> dict[str, object]:
    """Revoke one of your personal access tokens; needs the write scope."""
    with ctx.unit_of_work() as uow:
        return AccessService(uow).revoke_token(who, token_id)
