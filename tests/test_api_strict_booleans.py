"""A yes-or-no field of the JSON API takes JSON's true or false and nothing else: "yes", "1"
and 1 were read as true (pydantic's lax mode), so a typing slip could declare an exercise a
real attack, or an illustrative figure a sourced one. Each is refused with problem+json naming
the field, and nothing is written (no audit record: every state change writes one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from shieldwall.audit.tables import AuditRecord
from tests.conftest import Delegations, problem_of
from tests.platform import TestPlatform as Context

INSTRUMENT = {"member": "DEU", "title": "x", "signed_on": "2024-01-12"}
# Each input model's yes-or-no field, in a body otherwise valid: (method, path, body, field).
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/api/v1/meetings", {"title": "x", "level": "summit"}, "crisis"),
    (
        "POST",
        "/api/v1/capability-packages",
        {
            "code": "p", "name": "P", "area": "air-defence", "units_needed": 1,
            "components": [{"item": "patriot", "kind": "equip", "quantity_per_unit": 1}],
        },
        "illustrative",
    ),
    (
        "POST",
        "/api/v1/capability-packages",
        {
            "code": "p", "name": "P", "area": "air-defence", "units_needed": 1,
            "components": [{"item": "patriot", "kind": "equip", "quantity_per_unit": 1}],
        },
        "components.0.per_month",
    ),
    ("POST", "/api/v1/instruments", INSTRUMENT, "until_accession"),
    ("POST", "/api/v1/instruments", INSTRUMENT, "illustrative"),
    (
        "PUT",
        "/api/v1/instruments/1/amounts",
        {"year": 2024, "category": "air defence", "amount": 100},
        "illustrative",
    ),
    (
        "POST",
        "/api/v1/instruments/1/obligations",
        {"trigger": "armed attack", "action": "consult", "within_hours": 24},
        "illustrative",
    ),
    ("POST", "/api/v1/pathway", {"kind": "milestone", "title": "x"}, "illustrative"),
    (
        "POST",
        "/api/v1/availability",
        {"member": "DEU", "item": "patriot", "quantity": 1, "available_from": "2024-04-02"},
        "training_only",
    ),
    (
        "POST",
        "/api/v1/triggers",
        {"kind": "armed attack", "occurred_at": "2024-04-01T10:00:00Z", "description": "x"},
        "exercise",
    ),
]  # fmt: skip


def _with(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    """``body`` with ``field`` (dotted, as problem+json names it) set to ``value``."""
    copy: Any = {k: ([dict(x) for x in v] if isinstance(v, list) else v) for k, v in body.items()}
    *path, last = field.split(".")
    at = copy
    for step in path:
        at = at[int(step)] if step.isdigit() else at[step]
    at[last] = value
    result: dict[str, Any] = copy
    return result


def _audit_records(seeded: Context) -> int:
    with seeded.reading() as s:
        return s.scalar(select(func.count()).select_from(AuditRecord)) or 0


def test_a_yes_or_no_field_takes_only_true_or_false(api: Delegations, seeded: Context) -> None:
    sec = api.as_("sec")
    before = _audit_records(seeded)
    for method, path, body, field in CASES:
        for value in ("yes", "1", 1, "true", None):
            sent = sec.request(method, path, json=_with(body, field, value))
            problem = problem_of(sent, 422)
            assert [e["field"] for e in problem["errors"]] == [field], (path, field, value)
    assert _audit_records(seeded) == before
