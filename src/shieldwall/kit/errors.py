"""Domain errors. Each maps to one HTTP status and one CLI message; none carries a stack trace."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status = 404
    title = "Not found"


class IllegalTransition(DomainError):
    """An action that the record's current state does not allow."""

    status = 409
    title = "Illegal transition"

    def __init__(self, record: str, current_state: str, action: str) -> None:
        super().__init__(
            f"cannot {action} {record}: it is {current_state}",
            current_state=current_state,
            action=action,
        )


class RuleViolation(DomainError):
    """The operation would break a rule of the ledger or of the partnership (DESIGN rules)."""

    status = 409
    title = "Rule violated"

    def __init__(self, detail: str, rule: str) -> None:
        super().__init__(detail, rule=rule)


class InvalidInput(DomainError):
    """A field's value is unacceptable; names the field."""

    status = 422
    title = "Invalid input"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", errors=[{"field": field, "message": detail}])


class IdempotencyConflict(DomainError):
    status = 422
    title = "Idempotency key reused"


class NotAuthenticated(DomainError):
    status = 401
    title = "Not authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Not allowed"


class Throttled(DomainError):
    status = 429
    title = "Too many failed sign-ins"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail, retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class Busy(DomainError):
    """The database stayed locked by other changes for longer than a request may wait;
    nothing was changed, and the same request may be sent again after ``retry_after``."""

    status = 503
    title = "Busy"

    def __init__(self, detail: str, retry_after_seconds: int = 1) -> None:
        super().__init__(detail, retry_after=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds
