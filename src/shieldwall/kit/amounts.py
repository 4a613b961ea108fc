"""Money and quantities: the one set of types the API, the page forms, the importers and the
CLI share; their maxima; and sums over the ledger that cannot overflow.

Money is held in euro cents, as integers. One record (a request, an offer, a delivery, a
correction, a catalogue item's unit value) holds at most

    MAX_QUANTITY    = 10^9 units
    MAX_VALUE_CENTS = 10^14 cents  (€1,000,000,000,000.00: one trillion euros)

and every offer's balances stay within them, so every ledger entry — the difference of two
balances between 0 and the maximum — holds at most that much either way. The platform
supports ledgers of up to MAX_LEDGER_ENTRIES = 2^31 − 1 = 2,147,483,647 entries, about two
thousand times the benchmarked million. SQLite's ``SUM`` raises on a 64-bit overflow
(above 2^63 − 1 ≈ 9.22 × 10^18); PostgreSQL sums BIGINT as NUMERIC, which does not overflow,
and the app reads that into a Python int. So on SQLite:

- Quantities: 2^31 entries × 10^9 ≈ 2.1 × 10^18 < 2^63. A plain ``SUM`` cannot overflow.
- Money: maxima alone would have to keep entries × maximum below 2^63 — a ledger of ten
  million entries would then allow €9.2bn per record, less than single pledges made in 2024
  (€50bn). So on SQLite the cents are summed in two halves (``cents_sums``): the low 32 bits of
  each entry (0 ≤ low < 2^32) and the rest (``v >> 32``, at most ⌈10^14 / 2^32⌉ = 23,284 in
  magnitude). Over 2^31 − 1 entries the low halves sum to less than 2^31 × 2^32 = 2^63 and the
  high halves to less than 5 × 10^13; ``total`` puts them back together exactly in Python
  (high × 2^32 + low, up to about 2.1 × 10^23 cents). On PostgreSQL one ``SUM`` is exact and
  is kept.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, WithJsonSchema
from sqlalchemy import ColumnElement, case, func, literal_column

from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import format_eur_exact, format_number
from shieldwall.kit.i18n import gettext as _

MAX_QUANTITY = 10**9
MAX_VALUE_CENTS = 10**14
MAX_EUROS = Decimal(MAX_VALUE_CENTS) / 100
MAX_LEDGER_ENTRIES = 2**31 - 1
SPLIT_BITS = 32
LOW_MASK = 2**SPLIT_BITS - 1


def euros_text(cents: int) -> str:
    """``123456`` → ``"€1,234.56"``, for the API schema's descriptions (English); messages use
    ``money_text``, in the language of the exchange."""
    sign = "−" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}€{whole:,}.{part:02d}"


def _no_bool(value: object) -> object:
    # JSON true is not a number: without this, Pydantic would read it as 1.
    if isinstance(value, bool):
        raise ValueError(_("give a number, not true or false"))
    return value


NotBool = BeforeValidator(_no_bool)

# Whole numbers in request bodies are strict: no booleans, no numeric strings, no 1.0.
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
QuantityDelta = Annotated[int, Field(strict=True, ge=-MAX_QUANTITY, le=MAX_QUANTITY)]


def _euros_schema(minimum: Decimal) -> WithJsonSchema:
    """The OpenAPI description of an amount in euros, its limits as JSON Schema keywords."""
    bounds = {"minimum": float(minimum), "maximum": float(MAX_EUROS)}
    return WithJsonSchema(
        {
            "anyOf": [{"type": "number", **bounds}, {"type": "string"}],
            "description": f"Euros with at most two decimals, from {euros_text(int(minimum * 100))}"
            f' to {euros_text(MAX_VALUE_CENTS)}, as a number or a string like "1250000.50"',
        }
    )


# Amounts in euros with at most two decimals, as a JSON number or a string.
Euros = Annotated[
    Decimal, NotBool, Field(ge=0, le=MAX_EUROS, decimal_places=2), _euros_schema(Decimal(0))
]
SignedEuros = Annotated[
    Decimal,
    NotBool,
    Field(ge=-MAX_EUROS, le=MAX_EUROS, decimal_places=2),
    _euros_schema(-MAX_EUROS),
]

_EUROS: TypeAdapter[Decimal] = TypeAdapter(Euros)


def quantity_limit() -> str:
    """The quantity limit in words, in the language of the exchange."""
    return _("the maximum is {largest} per record").format(largest=format_number(MAX_QUANTITY))


def value_limit() -> str:
    """The value limit in words, in the language of the exchange."""
    return _("the maximum is {largest} per record").format(largest=money_text(MAX_VALUE_CENTS))


def money_text(cents: int) -> str:
    """A sum of cents as the language of the exchange writes money, to the cent, for a
    message (``€1,234.56``, ``1 234,56 €``)."""
    return format_eur_exact(Decimal(cents) / 100)


CENT = Decimal("0.01")


def exact_euros(euros: float | Decimal | None) -> Decimal | None:
    """An amount in euros as every file writes it: exact, to the cent, with its two decimals
    (``516317.0`` → ``Decimal("516317.00")``, written ``516317.00``). The figures hold euros as
    the nearest float to their cents, whose shortest text is those cents up to 10^13 euros
    (ten times the largest record), so nothing is rounded on the way."""
    if euros is None:
        return None
    amount = Decimal(str(euros)).quantize(CENT)
    return amount.copy_abs() if amount.is_zero() else amount  # no "-0.00"


def to_cents(euros: Decimal | None) -> int | None:
    return None if euros is None else int((euros * 100).to_integral_value())


def check_quantity(field: str, quantity: int, *, minimum: int = 1) -> int:
    """``quantity`` if it lies in [minimum, MAX_QUANTITY]; InvalidInput naming the limit."""
    if quantity < minimum:
        raise InvalidInput(field, _("give at least {minimum}").format(minimum=minimum))
    if quantity > MAX_QUANTITY:
        raise InvalidInput(field, _too_many(format_number(quantity)))
    return quantity


def check_cents(field: str, cents: int, *, signed: bool = False) -> int:
    """``cents`` if it lies within ±MAX_VALUE_CENTS (not below 0 unless ``signed``)."""
    if cents < 0 and not signed:
        raise InvalidInput(field, _("must not be negative"))
    if abs(cents) > MAX_VALUE_CENTS:
        raise InvalidInput(field, _too_much(money_text(cents)))
    return cents


def check_delta(quantity_field: str, quantity: int, value_field: str, cents: int) -> None:
    """A correction moves a balance by at most one record's maximum either way."""
    if abs(quantity) > MAX_QUANTITY:
        raise InvalidInput(
            quantity_field,
            _("{quantity} is too large: {limit}").format(
                quantity=format_number(quantity), limit=quantity_limit()
            ),
        )
    check_cents(value_field, cents, signed=True)


def _too_many(quantity: str) -> str:
    return _("{quantity} is too many: {limit}").format(quantity=quantity, limit=quantity_limit())


def _too_much(amount: str) -> str:
    return _("{amount} is too much: {limit}").format(amount=amount, limit=value_limit())


def parse_quantity(field: str, text: str) -> int:
    """A quantity typed in a form or given to the CLI: digits only, within the maxima."""
    digits = text.strip()
    unsigned = digits.removeprefix("-")
    if unsigned != digits and unsigned.isascii() and unsigned.isdigit():
        # A negative number is a whole number: what is wrong is its sign.
        raise InvalidInput(field, _("give at least {minimum}").format(minimum=1))
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput(field, _("give a whole number, like 3"))
    if len(digits) > len(str(MAX_QUANTITY)):
        raise InvalidInput(field, _too_many(f"{digits[:16]}…"))
    return check_quantity(field, int(digits))


# Plain euros and cents ("1250000.50"), the form nearly every imported amount takes: read
# without the general parser (five times faster; the same answer).
_PLAIN_EUROS = re.compile(r"(\d{1,15})(?:\.(\d{1,2}))?")


def parse_euros(field: str, text: str) -> int:
    """An amount in euros typed in a form, given to the CLI or read by an importer, in cents:
    checked by the API's own ``Euros`` type (thousands separators allowed)."""
    cleaned = text.replace(",", "").strip()
    plain = _PLAIN_EUROS.fullmatch(cleaned)
    if plain is not None:
        whole, part = plain.groups()
        plain_cents = int(whole) * 100 + int((part or "0").ljust(2, "0"))
        if plain_cents <= MAX_VALUE_CENTS:
            return plain_cents
    if len(cleaned) > 40:
        raise InvalidInput(
            field,
            _("{amount} is too long for an amount: {limit}").format(
                amount=f"{cleaned[:16]}…", limit=value_limit()
            ),
        )
    try:
        euros = _EUROS.validate_python(cleaned)
    except ValidationError as exc:
        kind = exc.errors()[0]["type"]
        if kind == "less_than_equal":
            raise InvalidInput(field, _too_much(cleaned)) from None
        if kind == "greater_than_equal":
            raise InvalidInput(field, _("must not be negative")) from None
        raise InvalidInput(
            field, _("give an amount in euros with at most two decimals, like 1250000.50")
        ) from None
    cents = to_cents(euros)
    assert cents is not None
    return check_cents(field, cents)


def _sum(expression: Any, label: str, where: ColumnElement[bool] | None) -> ColumnElement[Any]:
    summed = expression if where is None else case((where, expression), else_=0)
    return func.coalesce(func.sum(summed), 0).label(label)


def quantity_sums(
    expression: Any, label: str, where: ColumnElement[bool] | None = None
) -> list[ColumnElement[Any]]:
    """SUM of quantities (over the rows ``where`` holds): within the maxima, one ``SUM``
    cannot overflow on either database. Read back with ``total``."""
    return [_sum(expression, label, where)]


def cents_sums(
    expression: Any, label: str, dialect: str, where: ColumnElement[bool] | None = None
) -> list[ColumnElement[Any]]:
    """SUM of cents (over the rows ``where`` holds) that cannot overflow: on SQLite two
    columns, ``<label>_hi`` and ``<label>_lo``; elsewhere one exact ``SUM``. Read back with
    ``total``."""
    if dialect != "sqlite":
        return [_sum(expression, label, where)]
    high = expression.op(">>")(literal_column(str(SPLIT_BITS)))
    low = expression.op("&")(literal_column(str(LOW_MASK)))
    return [_sum(high, f"{label}_hi", where), _sum(low, f"{label}_lo", where)]


def total(row: Any, label: str) -> int:
    """The exact total under ``label`` in a row of ``quantity_sums`` or ``cents_sums``."""
    if label in row:
        return int(row[label])
    return (int(row[f"{label}_hi"]) << SPLIT_BITS) + int(row[f"{label}_lo"])
