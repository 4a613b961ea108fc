"""Every route of the app and who may call it: the features' declared tables, merged.

A route that is not here fails the policy test, so a new route cannot ship without a rule.
"""

from __future__ import annotations

from shieldwall.access.model import Audience, RouteRule
from shieldwall.assistance.policy import ROUTES as ASSISTANCE
from shieldwall.council.policy import ROUTES as COUNCIL
from shieldwall.envelope.policy import ROUTES as ENVELOPE
from shieldwall.guarantees.policy import ROUTES as GUARANTEES
from shieldwall.matching.policy import ROUTES as MATCHING
from shieldwall.notifications.policy import ROUTES as NOTIFICATIONS
from shieldwall.obligations.policy import ROUTES as OBLIGATIONS

_PUBLIC = RouteRule(Audience.PUBLIC)
_SIGNED_IN = RouteRule(Audience.SIGNED_IN)

ACCESS: dict[tuple[str, str], RouteRule] = {
    ("POST", "/api/v1/auth/token"): _PUBLIC,
    ("GET", "/api/v1/auth/me"): _SIGNED_IN,
    ("GET", "/api/v1/auth/tokens"): _SIGNED_IN,
    ("POST", "/api/v1/auth/tokens"): _SIGNED_IN,
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): _SIGNED_IN,
    ("GET", "/login"): _PUBLIC,
    ("POST", "/login"): _PUBLIC,
    ("POST", "/logout"): RouteRule(Audience.PAGE),
    # Anyone chooses the pages' language; a signed-in user's choice is stored with it.
    ("GET", "/settings"): _PUBLIC,
    ("POST", "/settings"): _PUBLIC,
    ("GET", "/glossary"): _PUBLIC,
}
AUDIT: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/audit"): RouteRule(Audience.SECRETARIAT),
    ("GET", "/audit"): RouteRule(Audience.PAGE_SECRETARIAT),
}
REPORTS: dict[tuple[str, str], RouteRule] = {
    ("GET", "/"): RouteRule(Audience.PAGE, "offer"),
    # Lines about requests, offers and deliveries: each feature reads only what its reader
    # may see, and says who is to act through its policy.
    ("GET", "/api/v1/inbox"): _SIGNED_IN,
    ("GET", "/api/v1/public/summary"): _PUBLIC,
    ("GET", "/public"): _PUBLIC,
    # Compliance: per instrument and year, read through the features' queries, each inside
    # its reader's releasability.
    ("GET", "/api/v1/compliance"): _SIGNED_IN,
    ("GET", "/api/v1/compliance/members"): _SIGNED_IN,
    ("GET", "/compliance"): RouteRule(Audience.PAGE),
}
OPERATIONS: dict[tuple[str, str], RouteRule] = {
    ("GET", "/healthz"): _PUBLIC,
    ("GET", "/openapi.json"): _PUBLIC,
    ("GET", "/docs"): _PUBLIC,
    ("GET", "/docs/oauth2-redirect"): _PUBLIC,
    ("GET", "/redoc"): _PUBLIC,
    ("GET", "/static/plotly.min.js"): _PUBLIC,
    ("GET", "/static/shieldwall.css"): _PUBLIC,
    ("GET", "/static/favicon.svg"): _PUBLIC,
    ("GET", "/favicon.ico"): _PUBLIC,
    ("GET", "/static/docs/{name}"): _PUBLIC,
}

ROUTES: dict[tuple[str, str], RouteRule] = {
    **ASSISTANCE,
    **COUNCIL,
    **GUARANTEES,
    **OBLIGATIONS,
    **ENVELOPE,
    **MATCHING,
    **ACCESS,
    **AUDIT,
    **NOTIFICATIONS,
    **REPORTS,
    **OPERATIONS,
}
