from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shieldwall.access.model import Scope
from shieldwall.kit.text import SingleLine


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str


class MeOut(BaseModel):
    username: str
    delegation: str
    delegation_kind: str
    role: str
    scopes: list[Scope]


class PersonalTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), SingleLine
    ]
    scopes: list[Scope] = Field(
        default_factory=lambda: [Scope.READ],
        min_length=1,
        max_length=2,
        description='["read"] or ["read", "write"]: write needs read',
    )
    expires_in_days: Annotated[int, Field(strict=True, ge=1, le=3650)] | None = Field(
        None,
        description="Days the token lives: at most SHIELDWALL_PERSONAL_TOKEN_MAX_DAYS (default "
        "90); absent or null, that maximum",
    )


class TokenInfo(BaseModel):
    id: int
    name: str
    kind: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class PersonalTokenOut(TokenInfo):
    token: str = Field(description="Shown once: store it now; only its hash is kept")


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    delegation: str | None
    action: str
    record_type: str
    record_id: str
    before_state: str | None
    after_state: str | None
    hash: str
