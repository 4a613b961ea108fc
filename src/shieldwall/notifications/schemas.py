"""The API's shapes of notifications and preferences."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shieldwall.kit.text import SingleLine
from shieldwall.notifications.model import NotifyBy


class NotificationOut(BaseModel):
    id: int
    subject: str
    body: str
    link: str = Field(description="Where in the app the notice leads, e.g. /offers/3")
    created_at: dt.datetime
    read_at: dt.datetime | None
    unread: bool


class PreferencesOut(BaseModel):
    notify_by: NotifyBy = Field(description="email (by e-mail and in the app) or in-app only")
    email: str | None


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notify_by: NotifyBy = Field(description="email (needs an address) or in-app")
    email: Annotated[str, Field(max_length=254), SingleLine] | None = Field(
        None, description="Where mail goes; null or absent clears it (then in-app only)"
    )
