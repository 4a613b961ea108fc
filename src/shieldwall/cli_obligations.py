"""``shieldwall obligations``: declared events and obligations' clocks from the command line.

Reads run as the operator (who holds the database and sees everything); changes run as the
user named by ``--as``, under that user's permissions, and are audited in that user's name,
exactly as if made through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from shieldwall import cli_common as cli
from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.kit.dates import parse_instant
from shieldwall.kit.errors import DomainError
from shieldwall.kit.uow import UnitOfWork
from shieldwall.obligations import queries
from shieldwall.obligations.model import utc_text
from shieldwall.obligations.service import ObligationsService

obligations_app = typer.Typer(
    help="Obligations' clocks: declare an event, list events and obligations, record one met.",
    no_args_is_help=True,
)

AsUser = Annotated[str, typer.Option("--as", help="The user acting (their permissions apply)")]
Db = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file path")]
Fmt = cli.FormatOption


def _act(db: str | None, username: str, change: Callable[[UnitOfWork, Actor], Any]) -> Any:
    """Run one change as ``username`` in one unit of work; a one-line error otherwise."""
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            return change(uow, AccessService(uow).actor_for(username))
    except DomainError as exc:
        cli.fail(exc.detail)


def _read(db: str | None, read: Callable[[UnitOfWork], Any]) -> Any:
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work(writes=False) as uow:
            return read(uow)
    except DomainError as exc:
        cli.fail(exc.detail)


@obligations_app.command("declare")
def declare(
    as_user: AsUser,
    kind: Annotated[str, typer.Option(help="armed attack, or threat of attack")],
    occurred_at: Annotated[
        str, typer.Option(help="When it occurred, ISO 8601 (UTC unless an offset)")
    ],
    description: Annotated[str, typer.Option(help="What happened")],
    partner: Annotated[str | None, typer.Option(help="The partner concerned (its code)")] = None,
    exercise: Annotated[bool, typer.Option(help="An exercise, marked as such everywhere")] = False,
    db: Db = None,
) -> None:
    """Declare an event: it opens the matching obligations and convenes a crisis
    consultation, in one transaction (the partner for itself, or the chair)."""
    cli.plain({"--kind": kind, "--partner": partner})
    try:
        at = parse_instant("--occurred-at", occurred_at)
    except DomainError as exc:
        cli.fail(exc.detail)
        return

    def run(uow: UnitOfWork, who: Actor) -> dict[str, Any]:
        trigger_id = ObligationsService(uow).declare_trigger(
            who,
            kind=kind,
            occurred_at=at,
            description=description,
            partner=partner,
            exercise=exercise,
        )
        return queries.get_trigger(uow.session, who, trigger_id, uow.clock.now())

    t = _act(db, as_user, run)
    n, meeting = len(t["due_items"]), t["meeting"]
    consultation = (
        f"; crisis consultation {meeting['id']} convened, to be held by "
        f"{utc_text(meeting['hold_by'])}"
        if meeting and meeting["hold_by"]
        else ""
    )
    mark = " (exercise)" if t["exercise"] else ""
    cli.out.print(
        f"Trigger {t['id']} declared{mark}: {n} obligation{'s' if n != 1 else ''} opened"
        f"{consultation}",
        highlight=False,
        soft_wrap=True,
    )


@obligations_app.command("triggers")
def triggers(fmt: Fmt = cli.Format.table, db: Db = None) -> None:
    """List the declared events, the latest first."""
    _n, rows = _read(db, lambda uow: queries.list_triggers(uow.session, cli.OPERATOR, limit=1000))
    for r in rows:
        r.update({f"{k}_items": v for k, v in r.pop("counts").items()})
    columns = ["id", "kind", "partner", "occurred_at", "declared_by", "meeting_id", "exercise"]
    columns += ["open_items", "met_items", "overdue_items", "met_late_items"]
    cli.write_rows(rows, columns, fmt, "Declared events")


@obligations_app.command("list")
def list_obligations(
    state: Annotated[str | None, typer.Option(help="open, met, overdue or met late")] = None,
    member: Annotated[str | None, typer.Option(help="A member's code")] = None,
    trigger: Annotated[
        int | None, typer.Option(help="Those a declared event opened", callback=cli.record_id)
    ] = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """List the obligations' due items, overdue first."""
    cli.plain({"--state": state, "--member": member})
    _n, rows = _read(
        db,
        lambda uow: queries.list_due_items(
            uow.session,
            cli.OPERATOR,
            uow.clock.now(),
            state=state,
            member=member,
            trigger_id=trigger,
            limit=1000,
        ),
    )
    columns = ["id", "member", "instrument", "duty", "trigger_id", "due_at", "state", "met_at"]
    cli.write_rows(rows, columns, fmt, "Obligations")


@obligations_app.command("met")
def met(
    obligation: cli.RecordId,
    as_user: AsUser,
    evidence: Annotated[str, typer.Option(help="How it was met")],
    db: Db = None,
) -> None:
    """Record a duty to report as met, with evidence (the member, or the secretariat)."""

    def run(uow: UnitOfWork, who: Actor) -> dict[str, Any]:
        ObligationsService(uow).record_met(who, obligation, evidence)
        return queries.get_due_item(uow.session, who, obligation, uow.clock.now())

    item = _act(db, as_user, run)
    cli.out.print(f"Obligation {obligation} recorded as {item['state']}", highlight=False)
