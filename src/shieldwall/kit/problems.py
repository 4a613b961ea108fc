"""Errors as RFC 9457 problem+json, in the API and in its OpenAPI description.

A problem's ``title`` and ``detail`` are in the language of the request (``kit.i18n``, set by
``LocaleMiddleware``); the fields machines read (``errors[].field``, ``current_state``,
``action``, ``rule``) are the same in every language. Request-validation errors that Pydantic
writes itself are rewritten in the platform's words for the common cases (a missing field, a
number out of range, text too long); the platform's own validators already write theirs in
the request's language."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shieldwall.kit.errors import DomainError
from shieldwall.kit.i18n import N_, format_number
from shieldwall.kit.i18n import gettext as _
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


# The OpenAPI description of each error status, and the title of an error the framework raises.
DESCRIPTIONS = {
    400: N_("Bad request"),
    401: N_("Not authenticated"),
    403: N_("Not allowed"),
    404: N_("No such record"),
    405: N_("Method not allowed"),
    409: N_("The record's state or a ledger rule does not allow this"),
    413: N_("The request body is larger than the limit named in max_bytes"),
    429: N_("Too many failed sign-ins: retry after the time given"),
    422: N_("Invalid input: the fields named are wrong"),
    503: N_(
        "The database is busy with other changes: nothing was changed; retry after the time given"
    ),
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
    # The OpenAPI description is written once, in English, the API's language.
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


def _field(error: Any) -> str:
    """The field an error names; a body that is not JSON is the body's (Pydantic locates it at
    the character where parsing failed, which named a field "1")."""
    if error.get("type") == "json_invalid":
        return "body"
    return _location(error.get("loc", ()))


# Starlette's and FastAPI's own details for the errors they raise before a route runs, in the
# platform's words (a body nested past the parser's depth is FastAPI's 400).
HTTP_DETAILS: dict[str, str] = {
    "There was an error parsing the body": N_("the body could not be read as JSON"),
}


# Pydantic's own messages for the errors a client meets most, in the platform's words (with
# the limits Pydantic reports in ``ctx``); any other is passed on as Pydantic wrote it.
VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a field of this request"),
    "int_type": N_("give a whole number, like 3"),
    "int_parsing": N_("give a whole number, like 3"),
    "int_from_float": N_("give a whole number, like 3"),
    "float_type": N_("give a number, like 2.5"),
    "float_parsing": N_("give a number, like 2.5"),
    "decimal_parsing": N_("give a number, like 2.5"),
    "decimal_type": N_("give a number, like 2.5"),
    "decimal_max_places": N_("give at most {decimal_places} decimals"),
    "bool_type": N_("give true or false"),
    "bool_parsing": N_("give true or false"),
    "string_type": N_("give text"),
    "string_too_short": N_("give at least {min_length} characters"),
    "string_too_long": N_("give at most {max_length} characters"),
    "string_pattern_mismatch": N_("does not have the expected form ({pattern})"),
    "greater_than_equal": N_("give at least {ge}"),
    "greater_than": N_("give more than {gt}"),
    "less_than_equal": N_("give at most {le}"),
    "less_than": N_("give less than {lt}"),
    "too_short": N_("give at least {min_length}"),
    "too_long": N_("give at most {max_length}"),
    "enum": N_("use one of {expected}"),
    "literal_error": N_("use one of {expected}"),
    "date_type": N_("give a date as YYYY-MM-DD"),
    "date_parsing": N_("give a date as YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("give a date as YYYY-MM-DD"),
    "json_invalid": N_("the body is not valid JSON"),
    "string_unicode": N_("give text: this is not Unicode (an unpaired surrogate)"),
    "model_attributes_type": N_("give an object of the documented fields"),
    "dict_type": N_("give an object of the documented fields"),
    "list_type": N_("give a list"),
}


# pydantic-core reports a Decimal field's limit as the text of its repr.
_DECIMAL_REPR = re.compile(r"Decimal\('(-?[0-9]+(?:\.[0-9]+)?)'\)")


def _limit(value: Any) -> str:
    """A limit Pydantic reports, as the reader's language writes numbers: "8,760" / "8 760",
    not the float "8760.0" of a ``le=24 * 365`` on a field of hours, nor
    "Decimal('1000000000000')" for the euros' largest amount."""
    decimal = _DECIMAL_REPR.fullmatch(value) if isinstance(value, str) else None
    if decimal is not None:
        value = Decimal(decimal.group(1))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format_number(value)
    return str(value)


def validation_message(error: Any) -> str:
    """One request-validation error in the request's language: ours as we wrote it (our
    validators write in the request's language), Pydantic's common ones in our words."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "value_error" and "error" in context:
        return str(context["error"])  # our ValueError, without Pydantic's "Value error, "
    if kind in VALIDATION_MESSAGES:
        try:
            return _(VALIDATION_MESSAGES[kind]).format(**{k: _limit(v) for k, v in context.items()})
        except (KeyError, IndexError, ValueError):
            pass  # a limit the message names is missing: Pydantic's own words below
    return str(error.get("msg", _("invalid")))


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        response = answer(request, exc.status, _(exc.title), exc.detail, **exc.extra)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if "retry_after" in exc.extra:  # 429 throttled, 503 busy
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": _field(e), "message": validation_message(e)} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return answer(request, 422, _("Invalid input"), detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = _(DESCRIPTIONS.get(exc.status_code, N_("Error")))
        if exc.status_code == 404 and exc.detail == "Not Found":
            detail = _("there is nothing at {path}").format(path=request.url.path)
        elif exc.status_code == 405 and exc.detail == "Method Not Allowed":
            detail = _("{method} is not answered at {path}").format(
                method=request.method, path=request.url.path
            )
        else:
            known = HTTP_DETAILS.get(str(exc.detail))
            detail = _(known) if known else str(exc.detail)
        response = answer(request, exc.status_code, title, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # Logged for the operators; the user gets no stack trace.
        log.exception("unexpected error", exc_info=exc)
        return answer(
            request, 500, _("Internal error"), _("the server could not complete the request")
        )


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
