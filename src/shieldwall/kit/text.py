"""Text from outside: no control characters, in any field of any input.

One rule, one validator (``check_text``), used by the API's schema types (``SingleLine`` and
``MultiLine`` below), the query parameters of every route (``kit.params.plain_query``), the
page forms and the CLI. Refused everywhere: U+0000–U+0008, U+000B, U+000C, U+000E–U+001F and
U+007F (PostgreSQL cannot store U+0000 at all, and none of them means anything in a name, a
code or a reason). Tab, line feed and carriage return are allowed in multi-line fields only
(a justification, a description, conditions, a note, a reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import format_number
from shieldwall.kit.i18n import gettext as _

_REFUSED_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REFUSED_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
# The same rules as JSON Schema patterns (ECMA 262), for the OpenAPI description.
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"
LINE_PATTERN = r"^[^\u0000-\u001f\u007f]*$"


def control_character_problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``value``, or None: the first refused character, by its code."""
    found = (_REFUSED_IN_TEXT if multiline else _REFUSED_IN_LINE).search(value)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    if multiline:
        return _("contains the control character {code}").format(code=code)
    return _("contains the control character {code} (one line: no tab or line break)").format(
        code=code
    )


def check_text(
    field: str, value: str, *, multiline: bool = False, max_length: int | None = None
) -> str:
    """``value`` unchanged, or InvalidInput naming ``field`` and the character refused (or
    the length, when ``max_length`` is given)."""
    problem = control_character_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidInput(field, problem)
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(
            field, _("at most {count} characters").format(count=format_number(max_length))
        )
    return value


@dataclass(frozen=True)
class NoControlCharacters:
    """A Pydantic marker: put it last in ``Annotated[str, …]``. It checks the text as sent,
    before any stripping, and documents the rule as a ``pattern`` in the JSON Schema."""

    multiline: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = TEXT_PATTERN if self.multiline else LINE_PATTERN
        return json_schema

    def _check(self, value: Any) -> Any:
        if isinstance(value, str):
            problem = control_character_problem(value, multiline=self.multiline)
            if problem is not None:
                raise PydanticCustomError("control_character", problem)
        return value


SingleLine = NoControlCharacters()
MultiLine = NoControlCharacters(multiline=True)
