"""Domain errors. Each maps to one HTTP status and one CLI message; none carries a stack trace.

A detail is written when the error is raised, so in the language of the exchange being served
(``kit.i18n``); titles are marked for the catalogue here and translated where they are shown
(``kit.problems``). The codes an error carries for machines (``current_state``, ``action``,
``rule``, ``errors[].field``) stay as they are in every language.
"""

from __future__ import annotations

from typing import Any

from shieldwall.kit.i18n import N_, term
from shieldwall.kit.i18n import gettext as _


class DomainError(Exception):
    status = 400
    title = N_("Bad request")

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status = 404
    title = N_("Not found")


class IllegalTransition(DomainError):
    """An action that the record's current state does not allow."""

    status = 409
    title = N_("Illegal transition")

    def __init__(self, record: str, current_state: str, action: str) -> None:
        # The action and the state are the platform's words (marked with ``N_`` where they are
        # declared), so they are translated with the sentence; the record is named by the
        # caller, in the language of the exchange.
        super().__init__(
            _("cannot {action} {record}: it is {state}").format(
                action=_(action) if action else action,
                record=_(record) if record else record,
                state=term(current_state) if current_state else current_state,
            ),
            current_state=current_state,
            action=action,
        )


class RuleViolation(DomainError):
    """The operation would break a rule of the ledger or of the partnership (DESIGN rules)."""

    status = 409
    title = N_("Rule violated")

    def __init__(self, detail: str, rule: str) -> None:
        super().__init__(detail, rule=rule)


class InvalidInput(DomainError):
    """A field's value is unacceptable; names the field."""

    status = 422
    title = N_("Invalid input")

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", errors=[{"field": field, "message": detail}])


class IdempotencyConflict(DomainError):
    status = 422
    title = N_("Idempotency key reused")


class NotAuthenticated(DomainError):
    status = 401
    title = N_("Not authenticated")


class Forbidden(DomainError):
    status = 403
    title = N_("Not allowed")


class Throttled(DomainError):
    status = 429
    title = N_("Too many failed sign-ins")

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail, retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class Busy(DomainError):
    """The database stayed locked by other changes for longer than a request may wait;
    nothing was changed, and the same request may be sent again after ``retry_after``."""

    status = 503
    title = N_("Busy")

    def __init__(self, detail: str, retry_after_seconds: int = 1) -> None:
        super().__init__(detail, retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds
