"""Errors as RFC 9457 problem+json, in the API and in its OpenAPI description."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shieldwall.kit.errors import DomainError
from shieldwall.kit.i18n import N_
from shieldwall.kit.templating import TEMPLATES

log = logging.getLogger("shieldwall")

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None
    current_state: str | None = None
    action: str | None = None
    rule: str | None = None
    retry_after: int | None = None
    max_bytes: int | None = None


DESCRIPTIONS = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "No such record",
    409: "The record's state or a ledger rule does not allow this",
    413: "The request body is larger than the limit named in max_bytes",
    429: "Too many failed sign-ins: retry after the time given",
    422: "Invalid input: the fields named are wrong",
    503: "The database is busy with other changes: nothing was changed; retry after the time given",
}


# The titles an error page shows (error.html writes ``{{ title | term }}``): the errors'
# own titles and those of DESCRIPTIONS, marked for the catalogue.
PAGE_TITLES = (
    N_("Bad request"),
    N_("Not found"),
    N_("Illegal transition"),
    N_("Rule violated"),
    N_("Invalid input"),
    N_("Idempotency key reused"),
    N_("Not authenticated"),
    N_("Not allowed"),
    N_("Too many failed sign-ins"),
    N_("Busy"),
    N_("Internal error"),
    N_("Error"),
    N_("No such record"),
    N_("The record's state or a ledger rule does not allow this"),
    N_("The request body is larger than the limit named in max_bytes"),
    N_("Too many failed sign-ins: retry after the time given"),
    N_("Invalid input: the fields named are wrong"),
    N_("The database is busy with other changes: nothing was changed; retry after the time given"),
)


def problem_responses(*codes: int, public: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer. Any route may answer
    413 (a request body over the limit) and 503 (the database too busy to take its change);
    routes that need a signed-in reader also answer 401 (no or bad credentials) and 403 (not
    allowed)."""
    always = (400, 413, 422, 503) if public else (400, 401, 403, 413, 422, 503)
    return {
        code: {"model": Problem, "description": DESCRIPTIONS.get(code, "Error")}
        for code in sorted({*always, *codes})
    }


def _wants_page(request: Request) -> bool:
    """Pages get an HTML error page; the API (and any non-browser client) gets problem+json."""
    if request.url.path.startswith(("/api/", "/healthz", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "")


def answer(
    request: Request, status: int, title: str, detail: str | None = None, **extra: Any
) -> Response:
    if _wants_page(request):
        return TEMPLATES.TemplateResponse(
            request, "error.html", {"title": title, "detail": detail}, status_code=status
        )
    return problem(status, title, detail, **extra)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        response = answer(request, exc.status, exc.title, exc.detail, **exc.extra)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if "retry_after" in exc.extra:  # 429 throttled, 503 busy
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _location(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return answer(request, 422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = DESCRIPTIONS.get(exc.status_code, "Error")
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = f"there is nothing at {request.url.path}"
        else:
            detail = str(exc.detail)
        response = answer(request, exc.status_code, title, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Logged for the operators; the user gets no stack trace.
        log.exception("unexpected error", exc_info=exc)
        return answer(request, 500, "Internal error", "the server could not complete the request")


def problem_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses are served as problem+json: say so in the OpenAPI description."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema
