"""``shieldwall guarantees``: instruments, their amounts, obligations and notice, the offers
that fulfil them, exchange rates and burden-sharing, from the command line.

Reads run as the operator (who holds the database and sees everything); changes run as the
user named by ``--as``, under that user's permissions, and are audited in that user's name,
exactly as if made through the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from shieldwall import cli_common as cli
from shieldwall.access.model import Actor
from shieldwall.access.service import AccessService
from shieldwall.guarantees import queries
from shieldwall.guarantees.service import GuaranteesService
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, InvalidInput
from shieldwall.kit.uow import UnitOfWork

guarantees_app = typer.Typer(
    help="Security guarantees: instruments, amounts, obligations, notice, rates, burden-sharing.",
    no_args_is_help=True,
)

AsUser = Annotated[str, typer.Option("--as", help="The user acting (their permissions apply)")]
Db = Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file path")]
Fmt = cli.FormatOption


def _act(db: str | None, username: str, change: Callable[[GuaranteesService, Actor], Any]) -> Any:
    """Run one change as ``username`` in one unit of work; a one-line error otherwise."""
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            who = AccessService(uow).actor_for(username)
            return change(GuaranteesService(uow), who)
    except DomainError as exc:
        cli.fail(exc.detail)


def _read(db: str | None, read: Callable[[UnitOfWork], Any]) -> Any:
    ctx = cli.ready_context(db)
    try:
        with ctx.unit_of_work(writes=False) as uow:
            return read(uow)
    except DomainError as exc:
        cli.fail(exc.detail)


def _parsed(parse: Callable[[], Any]) -> Any:
    """An argument parsed before anything runs; a one-line error naming it otherwise."""
    try:
        return parse()
    except DomainError as exc:
        cli.fail(exc.detail)


def _day(option: str, text: str | None) -> dt.date | None:
    return None if text is None else _parsed(lambda: parse_day(option, text))


def _decimal(option: str, text: str) -> Decimal:
    def parse() -> Decimal:
        try:
            return Decimal(text.replace(",", "").strip())
        except InvalidOperation:
            raise InvalidInput(option, f"{text!r} is not a number, like 2500000000") from None

    result: Decimal = _parsed(parse)
    return result


def _eur(value: float | None) -> str:
    return "—" if value is None else f"€{value:,.2f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _print(table: Table) -> None:
    console = cli.out if cli.out.is_terminal else Console(width=200)
    console.print(table)


@guarantees_app.command("instruments")
def instruments(
    member: Annotated[str | None, typer.Option(help="Only this signatory's (a code)")] = None,
    in_force_on: Annotated[str | None, typer.Option(help="Only those binding that day")] = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """List the instruments, by signing date."""
    cli.plain({"--member": member})
    day = _day("--in-force-on", in_force_on)
    _n, rows = _read(
        db,
        lambda uow: queries.list_instruments(
            uow.session,
            cli.OPERATOR,
            uow.clock.now().date(),
            member=member,
            in_force_on=day,
            limit=1000,
        ),
    )
    columns = ["id", "member", "signed_on", "ends_on", "in_force", "title"]
    cli.write_rows(rows, columns, fmt, "Instruments")


@guarantees_app.command("show")
def show(instrument: cli.RecordId, db: Db = None) -> None:
    """An instrument: its terms, amounts, obligations, linked offers, fulfilment per year."""
    i = _read(
        db,
        lambda uow: queries.get_instrument(
            uow.session, cli.OPERATOR, instrument, uow.clock.now().date()
        ),
    )
    ends = i["ends_on"] or ("on accession" if i["until_accession"] else "open-ended")
    cli.out.print(f"[bold]{i['title']}[/bold] — {i['member']} with {i['partner']}")
    cli.out.print(
        f"signed {i['signed_on']} {i['place']}; valid from {i['valid_from']}; ends {ends}; "
        f"{'in force' if i['in_force'] else 'not in force'}",
        highlight=False,
    )
    if i["notice_given_on"]:
        cli.out.print(
            f"notice given on {i['notice_given_on']} by {i['notice_given_by']}, "
            f"takes effect {i['notice_takes_effect']}",
            highlight=False,
        )
    _print(_amounts_table(i["amounts"]))
    obligations = Table(title="Obligations")
    for column in ("trigger", "action", "within hours"):
        obligations.add_column(column)
    for o in i["obligations"]:
        obligations.add_row(o["trigger"], o["action"], str(o["within_hours"]))
    _print(obligations)
    _print(_fulfilment_table(i["fulfilment"]))
    linked = ", ".join(f"{o['offer_id']} ({o['year'] or 'by entry'})" for o in i["offers"])
    cli.out.print(f"linked offers: {linked or 'none'}", highlight=False)


def _amounts_table(amounts: list[dict[str, Any]]) -> Table:
    table = Table(title="Amounts")
    for column in ("year", "category", "amount", "EUR", "rate"):
        table.add_column(column, justify="right" if column in ("amount", "EUR") else "left")
    for a in amounts:
        rate = a["rate"]
        at = "—" if rate is None else f"{rate['units_per_eur']} on {rate['rate_on']}"
        table.add_row(
            str(a["year"]),
            a["category"],
            f"{a['currency']} {a['amount']:,.2f}",
            _eur(a["eur"]),
            at,
        )
    return table


def _fulfilment_table(years: list[dict[str, Any]]) -> Table:
    table = Table(title="Fulfilment per year")
    for column in ("year", "promised", "committed", "delivered", "fulfilled"):
        table.add_column(column, justify="left" if column == "year" else "right")
    for f in years:
        table.add_row(
            str(f["year"]),
            _eur(f["promised_eur"]),
            _eur(f["committed_eur"]),
            _eur(f["delivered_eur"]),
            _pct(f["percent_fulfilled"]),
        )
    return table


@guarantees_app.command("create")
def create(
    as_user: AsUser,
    member: Annotated[str, typer.Option(help="The signatory's code (a member or contributor)")],
    title: Annotated[str, typer.Option(help="The instrument's title")],
    signed_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    place: Annotated[str, typer.Option(help="Where it was signed")] = "",
    valid_from: Annotated[str | None, typer.Option(help="YYYY-MM-DD; the signing")] = None,
    valid_until: Annotated[str | None, typer.Option(help="Its first day out of force")] = None,
    duration_years: Annotated[int | None, typer.Option(help="Its term, in years")] = None,
    until_accession: Annotated[bool, typer.Option(help="It ends on accession")] = False,
    notice_months: Annotated[int | None, typer.Option(help="Termination notice")] = None,
    notes: Annotated[str, typer.Option(help="Remarks")] = "",
    sources: Annotated[str, typer.Option(help="Addresses, space-separated")] = "",
    releasability: Annotated[str | None, typer.Option(help="council unless given")] = None,
    db: Db = None,
) -> None:
    """Record an instrument a member or contributor signed with the partner."""
    cli.plain({"--member": member, "--title": title, "--place": place, "--sources": sources})
    signed, start, until = (
        _day("--signed-on", signed_on),
        _day("--valid-from", valid_from),
        _day("--valid-until", valid_until),
    )
    assert signed is not None
    found = _act(
        db,
        as_user,
        lambda g, who: g.create_instrument(
            who,
            member=member,
            title=title,
            signed_on=signed,
            place=place,
            valid_from=start,
            valid_until=until,
            duration_years=duration_years,
            until_accession=until_accession,
            termination_notice_months=notice_months,
            notes=notes,
            sources=sources,
            releasability=releasability,
        ),
    )
    cli.out.print(f"Instrument {found} recorded")


@guarantees_app.command("amount")
def amount(
    instrument: cli.RecordId,
    as_user: AsUser,
    year: Annotated[int, typer.Option(help="The year it is promised for")],
    category: Annotated[str, typer.Option(help="air defence, training, … or 'not broken down'")],
    value: Annotated[str, typer.Option("--amount", help="In the original currency")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code")] = "EUR",
    rate_on: Annotated[str | None, typer.Option(help="The rate's date (not for EUR)")] = None,
    basis: Annotated[str, typer.Option(help="What it covers, as stated")] = "",
    db: Db = None,
) -> None:
    """Set a year's amount in a category (replacing one stated before)."""
    cli.plain({"--category": category, "--currency": currency, "--basis": basis})
    money, day = _decimal("--amount", value), _day("--rate-on", rate_on)
    _act(
        db,
        as_user,
        lambda g, who: g.set_amount(
            who,
            instrument,
            year=year,
            category=category,
            amount=money,
            currency=currency,
            rate_on=day,
            basis=basis,
        ),
    )
    cli.out.print(f"Instrument {instrument}: {year} {category} set", highlight=False)


@guarantees_app.command("obligation")
def obligation(
    instrument: cli.RecordId,
    as_user: AsUser,
    trigger: Annotated[str, typer.Option(help="armed attack, threat of attack or year end")],
    action: Annotated[str, typer.Option(help="consult or report")],
    within_hours: Annotated[int, typer.Option(help="The deadline, in hours")],
    description: Annotated[str, typer.Option(help="The clause, in words")] = "",
    db: Db = None,
) -> None:
    """Add an obligation: when the trigger happens, act within the hours given."""
    cli.plain({"--trigger": trigger, "--action": action})
    found = _act(
        db,
        as_user,
        lambda g, who: g.add_obligation(
            who,
            instrument,
            trigger=trigger,
            action=action,
            within_hours=within_hours,
            description=description,
        ),
    )
    cli.out.print(f"Obligation {found} added to instrument {instrument}")


@guarantees_app.command("notice")
def notice(
    instrument: cli.RecordId,
    as_user: AsUser,
    given_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    by: Annotated[str | None, typer.Option(help="The party (for the secretariat)")] = None,
    db: Db = None,
) -> None:
    """Give (or record) notice to terminate an instrument."""
    cli.plain({"--by": by})
    day = _day("--given-on", given_on)
    assert day is not None
    _act(db, as_user, lambda g, who: g.give_notice(who, instrument, given_on=day, by=by))
    ends = _read(
        db,
        lambda uow: queries.get_instrument(uow.session, cli.OPERATOR, instrument, day)["ends_on"],
    )
    cli.out.print(f"Notice given on instrument {instrument}; it ends on {ends}")


@guarantees_app.command("link")
def link(
    offer: cli.RecordId,
    as_user: AsUser,
    instrument: Annotated[
        int | None, typer.Option(help="The instrument it fulfils", callback=cli.record_id)
    ] = None,
    year: Annotated[int | None, typer.Option(help="The year it counts toward")] = None,
    unlink: Annotated[bool, typer.Option(help="Unlink it instead")] = False,
    db: Db = None,
) -> None:
    """Link an offer to the instrument (and year) it fulfils, or unlink it."""
    if unlink:
        _act(db, as_user, lambda g, who: g.unlink_offer(who, offer))
        cli.out.print(f"Offer {offer} unlinked")
        return
    if instrument is None:
        cli.fail("--instrument: name the instrument the offer fulfils (or give --unlink)")
        return
    _act(db, as_user, lambda g, who: g.link_offer(who, offer, instrument, year))
    toward = f"year {year}" if year else "the year of each entry"
    cli.out.print(f"Offer {offer} fulfils instrument {instrument}, toward {toward}")


@guarantees_app.command("rates")
def rates(
    currency: Annotated[str | None, typer.Option(help="Only this currency")] = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """List the dated exchange rates."""
    cli.plain({"--currency": currency})
    rows = _read(db, lambda uow: queries.list_rates(uow.session, currency))
    columns = ["currency", "rate_on", "units_per_eur", "source"]
    cli.write_rows(rows, columns, fmt, "Exchange rates")


@guarantees_app.command("rate")
def rate(
    as_user: AsUser,
    currency: Annotated[str, typer.Option(help="ISO 4217 code")],
    on: Annotated[str, typer.Option(help="The rate's date, YYYY-MM-DD")],
    units_per_eur: Annotated[str, typer.Option(help="Units of the currency to one euro")],
    source: Annotated[str, typer.Option(help="Where the rate comes from")],
    db: Db = None,
) -> None:
    """Record a dated exchange rate (the secretariat)."""
    cli.plain({"--currency": currency, "--source": source})
    day, units = _day("--on", on), _decimal("--units-per-eur", units_per_eur)
    assert day is not None
    _act(
        db,
        as_user,
        lambda g, who: g.record_rate(
            who, currency=currency, rate_on=day, units_per_eur=units, source=source
        ),
    )
    cli.out.print(f"{currency.upper()} on {day}: {units} to the euro", highlight=False)


@guarantees_app.command("burden")
def burden(
    year: Annotated[int | None, typer.Option(help="Only this year")] = None,
    fmt: Fmt = cli.Format.table,
    db: Db = None,
) -> None:
    """Burden-sharing: committed and delivered per member, shares, % of GDP, promised."""
    shared = _read(db, lambda uow: queries.burden_sharing(uow.session, cli.OPERATOR, year=year))
    rows = shared.as_dict()["rows"]
    columns = [
        "member",
        "committed_eur",
        "delivered_eur",
        "committed_share",
        "delivered_share",
        "committed_pct_gdp",
        "promised_eur",
        "delivered_of_promised",
    ]
    cli.write_rows(rows, columns, fmt, f"Burden-sharing, {year or 'all years'}")
    if fmt == cli.Format.table:
        cli.out.print(f"GDP: {shared.gdp_source}", highlight=False)
