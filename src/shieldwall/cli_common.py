"""What every ``shieldwall`` command shares: the database option, one-line errors, plain
text arguments, and tables written as a table, CSV or JSON."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from shieldwall.access.model import Actor
from shieldwall.context import open_platform
from shieldwall.kit.db import database_status
from shieldwall.kit.errors import DomainError, InvalidInput
from shieldwall.kit.exports import csv_lines, json_lines
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.listing import Column, in_euros
from shieldwall.kit.params import parse_record_id
from shieldwall.kit.settings import get_settings
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform

Choice = TypeVar("Choice", bound=StrEnum)

out = Console()
err = Console(stderr=True, soft_wrap=True)  # one line per message, however long

# Whoever runs the CLI holds the database itself: an operator of the platform, who sees the
# whole ledger and is named as such in the audit log.
OPERATOR = Actor("system:cli", system=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL or SQLite file path", show_default="SHIELDWALL_DATABASE_URL"
    ),
]


def database_url(db: str | None) -> str:
    if db is None:
        return get_settings().database_url
    return db if "://" in db else f"sqlite:///{db}"


def fail(message: str, code: int = 1) -> None:
    # One line, however narrow the terminal: an error message is never wrapped.
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def writing_to(path: Path) -> Iterator[None]:
    """A file or folder the user named that cannot be written (no such folder, a folder where a
    file should be, no permission): one line naming it and why, not the trace of the OSError."""
    try:
        yield
    except OSError as exc:
        fail(f"{path}: cannot write there ({exc.strerror or exc})")


def record_id(parameter: typer.CallbackParam, value: int | None) -> int | None:
    """An id given on the command line is held to the API's range (``kit.params``): out of it,
    a one-line error naming the argument, not the database driver's overflow and its trace."""
    if value is not None:
        try:
            parse_record_id(parameter.name or "id", str(value))
        except DomainError as exc:
            fail(exc.detail)
    return value


# A record's id as a command's argument: ``meeting: RecordId``.
RecordId = Annotated[int, typer.Argument(callback=record_id)]


def plain(values: dict[str, str | None]) -> None:
    """Command-line text is held to the platform's rule (``kit.text``): no control
    characters; otherwise a one-line error naming the argument or option."""
    for name, value in values.items():
        try:
            check_text(name, value or "")
        except DomainError as exc:
            fail(exc.detail)


def ready_context(db: str | None) -> Platform:
    """A context on a database whose schema is current; a clear message otherwise."""
    url = database_url(db)
    ctx = open_platform(url)
    status = database_status(ctx.engine)
    if status["status"] != "ok":
        fail(f"cannot reach the database at {ctx.engine.url.render_as_string()}")
    if status.get("schema_revision") in (None, "none"):
        fail("the database has no Shieldwall schema yet: run `shieldwall init` first")
    return ctx


def one_of(kind: type[Choice], option: str) -> Callable[[str], Choice]:
    """Reads an option's value as one of ``kind``'s: any other is refused in one line naming
    the option and listing its choices, as the CLI's other errors are (Typer's own message is
    "Value error, 'xml' is not one of …" in a box)."""

    def parse(value: str) -> Choice:
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(kind)
            problem = _("{value} is not a choice: use one of {choices}")
            fail(str(InvalidInput(option, problem.format(value=repr(value), choices=choices))))
            raise  # not reached: fail exits

    return parse


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


# ``--format`` of the commands that print rows.
FormatOption = Annotated[
    Format, typer.Option("--format", parser=one_of(Format, "--format"), help="table, csv or json")
]


def write_rows(rows: list[dict[str, Any]], columns: list[str], fmt: Format, title: str) -> None:
    keys = list(rows[0]) if rows else columns
    # An amount in EUR (its key ends in "_eur") to the cent, as every download writes it.
    exact = list(in_euros([Column(k, k, euros=k.endswith("_eur")) for k in keys], rows))
    if fmt == Format.json:
        sys.stdout.writelines(json_lines(exact, keys))
    elif fmt == Format.csv:
        sys.stdout.writelines(csv_lines(exact, columns))
    else:
        # Figures are never cut: a narrow terminal folds a cell rather than elide it, and
        # piped output is not held to a terminal's width.
        table = Table(title=title)
        for c in columns:
            numeric = c.endswith(("_eur", "_quantity"))
            header = c.replace("_eur", " EUR").replace("_quantity", " qty")
            table.add_column(header, justify="right" if numeric else "left", overflow="fold")
        for r in rows:
            table.add_row(
                *[
                    f"{r[c]:,.0f}"
                    if c.endswith("_eur")
                    else f"{r[c]:,}"
                    if c.endswith("_quantity")
                    else str(r[c] if r[c] is not None else "—")
                    for c in columns
                ]
            )
        console = out if out.is_terminal else Console(width=200)
        console.print(table)
