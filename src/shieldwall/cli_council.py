"""``shieldwall council``: meetings and proposals from the command line.

Reads run as the operator (who holds the database and sees everything); changes run as the
user named by ``--as``, under that user's permissions, and are audited in that user's name,
exactly as if made through the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

import typer

from shieldwall import cli_common as cli
from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.council import queries
from shieldwall.council.service import AgendaEntry, CouncilService
from shieldwall.kit.dates import parse_day, parse_instant
from shieldwall.kit.errors import DomainError
from shieldwall.kit.uow import UnitOfWork

council_app = typer.Typer(
    help="The council: meetings, crisis consultations, proposals, positions.",
    no_args_is_help=True,
)

AsUser = Annotated[str, typer.Option("--as", help="The user acting (their permissions apply)")]


def _act(db: str | None, username: str, change: Callable[[CouncilService, Actor], Any]) -> Any:
    """Run one change as ``username`` in one unit of work; a one-line error otherwise."""
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            who = AccessService(uow).actor_for(username)
            return change(CouncilService(uow), who)
    except DomainError as exc:
        cli.fail(exc.detail)


def _read(db: str | None, read: Callable[[UnitOfWork], Any]) -> Any:
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work(writes=False) as uow:
            return read(uow)
    except DomainError as exc:
        cli.fail(exc.detail)


def _instant(option: str, text: str) -> dt.datetime:
    try:
        return parse_instant(option, text)
    except DomainError as exc:
        cli.fail(exc.detail)
        raise


Db = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file path")]
Fmt = cli.FormatOption


@council_app.command("meetings")
def meetings(
    state: Annotated[str | None, typer.Option(help="requested, scheduled, held, closed")] = None,
    crisis: Annotated[bool | None, typer.Option("--crisis/--regular", help="Only these")] = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """List the council's meetings, newest first."""
    _n, rows = _read(
        db,
        lambda uow: queries.list_meetings(
            uow.session, cli.OPERATOR, uow.clock.now(), state=state, crisis=crisis, limit=1000
        ),
    )
    columns = ["id", "state", "level", "crisis", "convened_by", "starts_at", "late", "title"]
    cli.write_rows(rows, columns, fmt, "Meetings of the council")


@council_app.command("proposals")
def proposals(
    state: Annotated[str | None, typer.Option(help="in discussion, under silence, …")] = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """List the proposals, newest first."""
    _n, rows = _read(
        db, lambda uow: queries.list_proposals(uow.session, cli.OPERATOR, state=state, limit=1000)
    )
    columns = ["id", "state", "tabled_by", "silence_deadline", "title"]
    cli.write_rows(rows, columns, fmt, "Proposals")


@council_app.command("convene")
def convene(
    as_user: AsUser,
    title: Annotated[str, typer.Option(help="What the meeting is about")],
    level: Annotated[str, typer.Option(help="summit, foreign ministers, ambassadors, …")],
    crisis: Annotated[bool, typer.Option(help="A crisis consultation")] = False,
    reason: Annotated[str, typer.Option(help="Why; required for a crisis")] = "",
    request: Annotated[list[int] | None, typer.Option(help="A request for the agenda")] = None,
    hold_within: Annotated[float | None, typer.Option(help="Crisis time limit, hours")] = None,
    db: Db = None,
) -> None:
    """Convene the council (nobody approves it; a crisis one must be held within its limit)."""
    cli.plain({"--title": title, "--reason": reason})
    agenda = [AgendaEntry(f"Request {r}", r) for r in request or []]
    meeting = _act(
        db,
        as_user,
        lambda c, who: c.convene(
            who,
            title=title,
            level=level,
            crisis=crisis,
            reason=reason,
            agenda=agenda,
            hold_within_hours=hold_within,
        ),
    )
    cli.out.print(f"Meeting {meeting} convened")


@council_app.command("schedule")
def schedule(
    meeting: cli.RecordId,
    as_user: AsUser,
    at: Annotated[str, typer.Option(help="When it starts, ISO 8601 (UTC unless an offset)")],
    place: Annotated[str, typer.Option(help="Where")],
    time_zone: Annotated[str, typer.Option(help="IANA time zone it is announced in")] = "UTC",
    chair: Annotated[str, typer.Option(help="Who chairs")] = "",
    db: Db = None,
) -> None:
    """Schedule a meeting (the chair)."""
    cli.plain({"--place": place, "--time-zone": time_zone, "--chair": chair})
    starts = _instant("--at", at)
    _act(
        db,
        as_user,
        lambda c, who: c.schedule(
            who, meeting, starts_at=starts, place=place, time_zone_name=time_zone, chair=chair
        ),
    )
    cli.out.print(f"Meeting {meeting} scheduled for {starts.isoformat()} ({time_zone})")


@council_app.command("hold")
def hold(
    meeting: cli.RecordId,
    as_user: AsUser,
    attended: Annotated[list[str], typer.Option(help="CODE or CODE=who represented it")],
    db: Db = None,
) -> None:
    """Record a meeting as held now, with who attended (the chair)."""
    cli.plain({"--attended": " ".join(attended)})
    attendance = {code: who for code, _eq, who in (a.partition("=") for a in attended)}
    _act(db, as_user, lambda c, who: c.hold(who, meeting, attendance=attendance))
    cli.out.print(f"Meeting {meeting} held; {len(attendance)} delegations attended")


@council_app.command("close")
def close(
    meeting: cli.RecordId,
    as_user: AsUser,
    minutes: Annotated[str | None, typer.Option(help="Record these minutes first")] = None,
    outcome: Annotated[
        list[str] | None, typer.Option(help="ITEM_ID=outcome of an agenda item, first")
    ] = None,
    db: Db = None,
) -> None:
    """Record minutes and agenda outcomes, then close the meeting (the chair)."""
    cli.plain({"--minutes": minutes, "--outcome": " ".join(outcome or [])})
    outcomes = [o.split("=", 1) for o in outcome or []]
    if any(len(o) != 2 or not o[0].isdigit() for o in outcomes):
        cli.fail("--outcome: give ITEM_ID=what came of it, e.g. 3='Germany offers a battery'")

    def record_and_close(c: CouncilService, who: Actor) -> None:
        if minutes is not None:
            c.record_minutes(who, meeting, minutes)
        for item, text in outcomes:
            c.record_item_outcome(who, meeting, int(item), text)
        c.close(who, meeting)

    _act(db, as_user, record_and_close)
    cli.out.print(f"Meeting {meeting} closed")


@council_app.command("table")
def table(
    as_user: AsUser,
    title: Annotated[str, typer.Option(help="Short title")],
    text: Annotated[str, typer.Option(help="The draft decision or statement")],
    kind: Annotated[str, typer.Option(help="decision or statement")] = "decision",
    meeting: Annotated[
        int | None, typer.Option(help="Put it on this meeting's agenda", callback=cli.record_id)
    ] = None,
    db: Db = None,
) -> None:
    """Table a proposal for discussion."""
    cli.plain({"--title": title, "--kind": kind})
    proposal = _act(
        db,
        as_user,
        lambda c, who: c.table_proposal(who, title=title, text=text, kind=kind, meeting_id=meeting),
    )
    cli.out.print(f"Proposal {proposal} tabled")


@council_app.command("position")
def position(
    proposal: cli.RecordId,
    as_user: AsUser,
    stance: Annotated[str, typer.Option(help="support, abstain or object")],
    reason: Annotated[str, typer.Option(help="Why; required for an objection")] = "",
    db: Db = None,
) -> None:
    """State your delegation's position (an objection under silence breaks it)."""
    cli.plain({"--stance": stance, "--reason": reason})
    _act(db, as_user, lambda c, who: c.state_position(who, proposal, stance=stance, reason=reason))
    cli.out.print(f"Position on proposal {proposal} recorded: {stance}")


@council_app.command("circulate")
def circulate(
    proposal: cli.RecordId,
    as_user: AsUser,
    deadline: Annotated[str, typer.Option(help="Silence deadline, ISO 8601")],
    db: Db = None,
) -> None:
    """Circulate a proposal under the silence procedure (the chair)."""
    until = _instant("--deadline", deadline)
    _act(db, as_user, lambda c, who: c.circulate(who, proposal, deadline=until))
    cli.out.print(f"Proposal {proposal} under silence until {until.isoformat()}")


@council_app.command("consensus")
def consensus(
    proposal: cli.RecordId,
    as_user: AsUser,
    review_on: Annotated[str | None, typer.Option(help="Review date, YYYY-MM-DD")] = None,
    db: Db = None,
) -> None:
    """Record consensus in a meeting: adopted if no objection stands (the chair)."""
    try:
        review = parse_day("--review-on", review_on) if review_on else None
    except DomainError as exc:
        cli.fail(exc.detail)
        return
    _act(db, as_user, lambda c, who: c.record_consensus(who, proposal, review_on=review))
    cli.out.print(f"Proposal {proposal} adopted by consensus")
