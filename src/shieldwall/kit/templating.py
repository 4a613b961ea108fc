"""The server-rendered pages' templates: translatable, with numbers and times written for the
viewer's language and time zone (``kit.i18n``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from shieldwall.kit import i18n

# Context processors are added by the features that own what they put in every page (access
# adds who is signed in), so that the kernel depends on none of them.
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def add_to_every_page(processor: Callable[[Request], dict[str, Any]]) -> None:
    TEMPLATES.context_processors.append(processor)


# Every string of a template is translatable ({% trans %}, _()), in the language of the exchange
# being served (kit.i18n); numbers, amounts and times are written for that language.
TEMPLATES.env.add_extension("jinja2.ext.i18n")
TEMPLATES.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
)
TEMPLATES.env.policies["ext.i18n.trimmed"] = True
TEMPLATES.env.filters["term"] = i18n.term
TEMPLATES.env.filters["eur"] = i18n.format_eur
TEMPLATES.env.filters["eur_exact"] = i18n.format_eur_exact
TEMPLATES.env.filters["number"] = i18n.format_number
TEMPLATES.env.filters["signed"] = i18n.format_signed
TEMPLATES.env.filters["percent"] = i18n.format_percent
TEMPLATES.env.filters["day"] = i18n.format_day
TEMPLATES.env.filters["moment"] = i18n.format_moment
TEMPLATES.env.globals["current_locale"] = i18n.current_locale
TEMPLATES.env.globals["current_time_zone"] = i18n.current_time_zone
