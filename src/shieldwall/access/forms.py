"""What every feature's page forms share: reading a posted form once its CSRF token is
checked, and turning a refused use case into the message and field the form shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData

from shieldwall.access.web import check_csrf, page_session
from shieldwall.kit.errors import DomainError, IdempotencyConflict, InvalidInput
from shieldwall.kit.i18n import gettext as _


@dataclass(frozen=True)
class FormError:
    """What went wrong, in words, and the field it concerns (marked on the form)."""

    message: str
    field: str | None = None


def form_error(exc: DomainError, label: Callable[[str], str]) -> FormError:
    """The first field a refusal names, by its label on the form; else the refusal's words."""
    if isinstance(exc, IdempotencyConflict):
        return FormError(_("This form was already sent once; open a fresh form to send another."))
    errors = exc.extra.get("errors") if isinstance(exc, InvalidInput) else None
    if errors:
        field, message = str(errors[0]["field"]), str(errors[0]["message"])
        return FormError(f"{label(field)}: {message}", field)
    return FormError(exc.detail)


async def posted_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the page session's."""
    form = await request.form()
    info = page_session(request)
    assert info is not None  # PageActor guarantees a live session
    check_csrf(info, str(form.get("csrf_token") or ""))
    return form
