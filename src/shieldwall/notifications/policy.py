"""Who may call each route of notifications: every signed-in user, for their own only (the
service and the queries take the user from the credential, never from the request)."""

from __future__ import annotations

from shieldwall.access.model import Audience, RouteRule

_SIGNED_IN = RouteRule(Audience.SIGNED_IN)
_PAGE = RouteRule(Audience.PAGE)

ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/notifications"): _SIGNED_IN,
    ("POST", "/api/v1/notifications/{notification_id}/read"): _SIGNED_IN,
    ("GET", "/api/v1/notifications/preferences"): _SIGNED_IN,
    ("PUT", "/api/v1/notifications/preferences"): _SIGNED_IN,
    ("GET", "/notifications"): _PAGE,
    ("POST", "/notifications/read"): _PAGE,
    ("POST", "/notifications/preferences"): _PAGE,
}
