"""``shieldwall envelope``: readiness per capability area and package, the packages, and the
delivery plans from the command line.

Reads run as the operator (who sees every offer) unless ``--as`` names a user, whose
releasability then applies; changes run as the user named by ``--as``, under that user's
permissions, and are audited in that user's name, exactly as if made through the API.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from sqlalchemy import select

from shieldwall import cli_common as cli
from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.envelope import model, queries
from shieldwall.envelope.service import EnvelopeService
from shieldwall.envelope.tables import CapabilityPackage, PlannedDelivery
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, NotFound
from shieldwall.kit.uow import UnitOfWork

envelope_app = typer.Typer(
    help="The deterrent envelope: readiness per capability area and package, projected from "
    "the delivery plans.",
)

Db = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file path")]
Fmt = cli.FormatOption
AsUser = Annotated[str, typer.Option("--as", help="The user acting (their permissions apply)")]
Reader = Annotated[
    str | None, typer.Option("--as", help="Count only what this user may see", show_default="all")
]


def _day(option: str, text: str | None) -> dt.date | None:
    try:
        return parse_day(option, text) if text is not None else None
    except DomainError as exc:
        cli.fail(exc.detail)
        raise


def _read(db: str | None, username: str | None, read: Callable[[UnitOfWork, Actor], Any]) -> Any:
    """Run a read as ``username`` (the operator if None), in one unit of work that writes
    nothing."""
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work(writes=False) as uow:
            who = AccessService(uow).actor_for(username) if username else cli.OPERATOR
            return read(uow, who)
    except DomainError as exc:
        cli.fail(exc.detail)


def _act(db: str | None, username: str, change: Callable[[EnvelopeService, Actor], Any]) -> Any:
    """Run one change as ``username`` in one unit of work; a one-line error otherwise."""
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            who = AccessService(uow).actor_for(username)
            return change(EnvelopeService(uow), who)
    except DomainError as exc:
        cli.fail(exc.detail)


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _package_rows(packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": p["id"],
            "area": p["area"],
            "package": p["code"],
            "readiness": _percent(p["readiness"]),
            "units_ready": f"{p['units_ready']} of {p['units_needed']}",
            "limited_by": p["limiting"]["words"] if p["limiting"] else "no component",
        }
        for p in packages
    ]


PACKAGE_COLUMNS = ["id", "area", "package", "readiness", "units_ready", "limited_by"]


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@envelope_app.callback(invoke_without_command=True)
def envelope(
    context: typer.Context,
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD", show_default="today")] = None,
    months_ahead: Annotated[int, typer.Option(min=0, max=60, help="Months projected")] = 12,
    as_user: Reader = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """Readiness per capability area and package as of a date (projected after today)."""
    if context.invoked_subcommand is not None:
        return
    on = _day("--as-of", as_of)
    view = _read(
        db,
        as_user,
        lambda uow, who: queries.envelope(
            uow.session, who, today=uow.clock.now().date(), as_of=on, months_ahead=months_ahead
        ),
    )
    if fmt == cli.Format.json:
        _json(view)
        return
    title = f"Readiness on {view['as_of']}{' (projected)' if view['projected'] else ''}"
    if fmt == cli.Format.table:
        areas = [{"area": a["name"], "readiness": _percent(a["readiness"])} for a in view["areas"]]
        cli.write_rows(areas, ["area", "readiness"], cli.Format.table, title)
    cli.write_rows(_package_rows(view["packages"]), PACKAGE_COLUMNS, fmt, "Capability packages")


@envelope_app.command("packages")
def packages(as_user: Reader = None, fmt: Fmt = cli.Format.table, db: Db = None) -> None:
    """List the capability packages with their readiness today."""
    found = _read(
        db,
        as_user,
        lambda uow, who: queries.list_packages(uow.session, who, uow.clock.now().date()),
    )
    if fmt == cli.Format.json:
        _json(found)
        return
    cli.write_rows(_package_rows(found), PACKAGE_COLUMNS, fmt, "Capability packages")


def _package_id(uow: UnitOfWork, key: str) -> int:
    """A package by its id or its code."""
    if key.isdigit():
        return int(key)
    found = uow.session.scalar(select(CapabilityPackage.id).where(CapabilityPackage.code == key))
    if found is None:
        raise NotFound(f"no capability package {key!r}")
    return int(found)


@envelope_app.command("package")
def package(
    key: Annotated[str, typer.Argument(help="The package's id or code")],
    as_user: Reader = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """One package: its components, how far each is covered today, and its readiness."""
    cli.plain({"PACKAGE": key})
    found = _read(
        db,
        as_user,
        lambda uow, who: queries.get_package(
            uow.session, who, _package_id(uow, key), uow.clock.now().date()
        ),
    )
    if fmt == cli.Format.json:
        _json(found)
        return
    rows = [
        {**c, "coverage": _percent(c["coverage"]), "per_month": "yes" if c["per_month"] else ""}
        for c in found["components"]
    ]
    limited = found["limiting"]["words"] if found["limiting"] else "no component"
    title = (
        f"{found['name']}: {_percent(found['readiness'])}, {found['units_ready']} of "
        f"{found['units_needed']} units ready; {limited}"
    )
    columns = ["kind", "item", "quantity_per_unit", "per_month", "need", "covered", "coverage"]
    cli.write_rows(rows, columns, fmt, title)


@envelope_app.command("plan")
def plan(
    offer: Annotated[int, typer.Argument(help="The committed offer", callback=cli.record_id)],
    as_user: AsUser,
    quantity: Annotated[int, typer.Option(min=1, help="How many in this tranche")],
    on: Annotated[str, typer.Option("--on", help="Expected on, YYYY-MM-DD")],
    note: Annotated[str, typer.Option(help="A note")] = "",
    db: Db = None,
) -> None:
    """Plan a delivery tranche of a committed offer (its member, or the secretariat)."""
    cli.plain({"--note": note})
    expected = _day("--on", on)
    assert expected is not None
    tranche = _act(
        db,
        as_user,
        lambda e, who: e.plan_delivery(
            who, offer, quantity=quantity, expected_on=expected, note=note
        ),
    )
    cli.out.print(f"Tranche {tranche} planned: {quantity:,} of offer {offer} on {expected}")


@envelope_app.command("slip")
def slip(
    tranche: Annotated[int, typer.Argument(help="The planned tranche", callback=cli.record_id)],
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="Why it slips")],
    months: Annotated[int | None, typer.Option(min=1, max=120, help="Later by months")] = None,
    to: Annotated[str | None, typer.Option("--to", help="The new date, YYYY-MM-DD")] = None,
    db: Db = None,
) -> None:
    """Re-plan a tranche later: by --months, or to the date --to (with the reason)."""
    cli.plain({"--reason": reason})
    if (months is None) == (to is None):
        cli.fail("give either --months or --to")
    new_day = _day("--to", to)

    def slipped(e: EnvelopeService, who: Actor) -> dt.date:
        planned = e.s.get(PlannedDelivery, tranche)
        if planned is None:
            raise NotFound(f"planned delivery {tranche} does not exist")
        day = new_day or model.months_after(planned.expected_on, months or 0)
        e.replan_delivery(who, tranche, reason=reason, expected_on=day)
        return day

    day = _act(db, as_user, slipped)
    cli.out.print(f"Tranche {tranche} now expected on {day}")
