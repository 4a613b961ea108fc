"""``shieldwall match``: run the clearing house (with a progress bar), declare availability,
list and answer proposals from the command line.

A run and reads go as the operator (who sees everything) unless ``--as`` names a user, whose
permissions and releasability then apply; changes run as the user named by ``--as`` and are
audited in that user's name, exactly as if made through the API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from shieldwall import cli_common as cli
from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.uow import Platform, UnitOfWork
from shieldwall.matching import model, queries
from shieldwall.matching.model import RunStage
from shieldwall.matching.service import MatchingService, RunResult, run_matching
from shieldwall.matching.words import explanation_words, outcome_words

match_app = typer.Typer(
    help="The clearing house: match what members could give to what the partner needs.",
    invoke_without_command=True,
)

Db = cli.DbOption
Fmt = cli.FormatOption
AsUser = Annotated[str, typer.Option("--as", help="The user acting (their permissions apply)")]
Reader = Annotated[
    str | None, typer.Option("--as", help="Act or read as this user", show_default="the operator")
]


def _who(uow: UnitOfWork, username: str | None) -> Actor:
    return AccessService(uow).actor_for(username) if username else cli.OPERATOR


def _act(
    db: str | None, username: str | None, change: Callable[[MatchingService, Actor], Any]
) -> Any:
    """One change in one unit of work; a one-line error otherwise."""
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            return change(MatchingService(uow), _who(uow, username))
    except DomainError as exc:
        cli.fail(exc.detail)


def _run(ctx: Platform, who: Actor, time_limit: float | None, quiet: bool) -> tuple[int, RunResult]:
    with ctx.unit_of_work() as uow:
        run_id = MatchingService(uow).start_run(who, time_limit_seconds=time_limit)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=cli.err, disable=quiet, transient=False) as bar:
        task = bar.add_task(_("queued"), total=100)

        def on_stage(stage: RunStage) -> None:
            bar.update(task, completed=model.run_progress(stage), description=_(stage.value))

        result = run_matching(ctx, who, run_id, on_stage)
    return run_id, result


@match_app.callback()
def match(
    typer_ctx: typer.Context,
    db: Db = None,
    username: Reader = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds the solver may search", show_default="setting"),
    ] = None,
    fmt: Fmt = cli.Format.table,
) -> None:
    """Run the clearing house over the open requests and the declared availability."""
    if typer_ctx.invoked_subcommand is not None:
        return
    cli.plain({"--as": username})
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work(writes=False) as uow:
            who = _who(uow, username)
        run_id, result = _run(ctx, who, time_limit, quiet=fmt == "json")
    except DomainError as exc:
        cli.fail(exc.detail)
        raise
    summary = {
        "run": run_id,
        "outcome": result.outcome,
        "message": outcome_words(result.outcome),
        "requests": result.requests,
        "lines": result.lines,
        "proposals": len(result.proposals),
        "uncovered": len(result.uncovered),
        "objective": result.objective,
        "gap": result.gap,
    }
    if fmt == "json":
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    cli.out.print(
        _("Run {run}: {message} ({proposals} proposals, {uncovered} needs uncovered)").format(
            **summary
        ),
        highlight=False,
    )


@match_app.command("declare")
def declare(
    member: Annotated[str, typer.Argument(help="The member's code, e.g. DEU")],
    item: Annotated[str, typer.Argument(help="The catalogue item's code")],
    quantity: Annotated[int, typer.Argument(help="Units it could give")],
    available_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
    username: AsUser,
    kind: Annotated[str, typer.Option("--kind", help="arm, train or equip")] = "equip",
    training_only: Annotated[bool, typer.Option("--training-only")] = False,
    not_before: Annotated[str | None, typer.Option("--not-before", help="YYYY-MM-DD")] = None,
    per_request: Annotated[
        int | None, typer.Option("--per-request", help="At most this many to one request")
    ] = None,
    db: Db = None,
) -> None:
    """Declare what a member could give, without offering it (seen by the secretariat only)."""
    cli.plain({"member": member, "item": item, "--as": username, "--kind": kind})

    def change(service: MatchingService, who: Actor) -> int:
        return service.declare_availability(
            who,
            member=member,
            item=item,
            quantity=quantity,
            available_from=parse_day("--from", available_from),
            kind=kind,
            training_only=training_only,
            not_before=parse_day("--not-before", not_before) if not_before else None,
            per_request=per_request,
        )

    line = _act(db, username, change)
    cli.out.print(_("availability line {id} declared").format(id=line), highlight=False)


@match_app.command("withdraw")
def withdraw(
    line: Annotated[
        int, typer.Argument(help="The availability line to withdraw", callback=cli.record_id)
    ],
    username: AsUser,
    reason: Annotated[str, typer.Option("--reason", help="Why (optional)")] = "",
    db: Db = None,
) -> None:
    """Withdraw an availability line: no longer offered to runs; its proposals not yet
    confirmed are cancelled with the reason."""
    cli.plain({"--reason": reason})
    cancelled = _act(db, username, lambda s, who: s.withdraw_availability(who, line, reason))
    cli.out.print(
        _("availability line {id} withdrawn; {n} pending proposals cancelled").format(
            id=line, n=cancelled
        ),
        highlight=False,
    )


@match_app.command("proposals")
def proposals(
    db: Db = None,
    username: Reader = None,
    run: Annotated[int | None, typer.Option("--run", callback=cli.record_id)] = None,
    fmt: Fmt = cli.Format.table,
) -> None:
    """The proposals you may see (the secretariat: all; a member: those sent to it)."""
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work(writes=False) as uow:
            rows = queries.proposals(uow.session, _who(uow, username), run_id=run)
    except DomainError as exc:
        cli.fail(exc.detail)
        raise
    for r in rows:
        r["why"] = "; ".join(explanation_words(r["explanation"]))
    columns = [
        "id",
        "run_id",
        "request_id",
        "member",
        "item",
        "quantity",
        "arrives_on",
        "state",
        "why",
    ]
    cli.write_rows(rows, columns, fmt, _("Matching proposals"))


@match_app.command("send")
def send(
    run: Annotated[
        int, typer.Argument(help="The run whose proposals to send", callback=cli.record_id)
    ],
    username: AsUser,
    db: Db = None,
) -> None:
    """Send every proposal of a run to its member (the secretariat)."""
    sent = _act(db, username, lambda s, who: s.send_run(who, run))
    cli.out.print(_("{n} proposals sent").format(n=sent), highlight=False)


@match_app.command("confirm")
def confirm(proposal: cli.RecordId, username: AsUser, db: Db = None) -> None:
    """Confirm a proposal sent to your delegation: it becomes your offer."""
    offer = _act(db, username, lambda s, who: s.confirm(who, proposal))
    cli.out.print(
        _("proposal {p} confirmed: offer {o}").format(p=proposal, o=offer), highlight=False
    )


@match_app.command("decline")
def decline(
    proposal: cli.RecordId,
    reason: Annotated[str, typer.Option("--reason")],
    username: AsUser,
    db: Db = None,
) -> None:
    """Decline a proposal sent to your delegation, with your reason."""
    cli.plain({"--reason": reason})
    _act(db, username, lambda s, who: s.decline(who, proposal, reason))
    cli.out.print(_("proposal {p} declined").format(p=proposal), highlight=False)
