"""The ``shieldwall`` command line."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from shieldwall.access.model import Role
from shieldwall.access.service import AccessService
from shieldwall.assistance import listings, queries
from shieldwall.assistance.tables import LedgerEntry
from shieldwall.audit.anchors import anchor_problem, append_anchor, chain_head, read_anchors
from shieldwall.audit.service import verify_chain
from shieldwall.cli_common import (
    OPERATOR,
    DbOption,
    Format,
    FormatOption,
    database_url,
    err,
    fail,
    one_of,
    out,
    plain,
    ready_context,
    write_rows,
    writing_to,
)
from shieldwall.cli_council import council_app
from shieldwall.cli_envelope import envelope_app
from shieldwall.cli_guarantees import guarantees_app
from shieldwall.cli_import import import_app
from shieldwall.cli_ledger import ledger_app
from shieldwall.cli_matching import match_app
from shieldwall.cli_obligations import obligations_app
from shieldwall.context import open_platform
from shieldwall.demo import DEMO_PASSWORD, build_demo
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.db import migrate
from shieldwall.kit.errors import DomainError
from shieldwall.kit.exports import csv_lines, json_lines, write_xlsx
from shieldwall.kit.listing import in_euros
from shieldwall.kit.settings import Settings, get_settings
from shieldwall.notifications import queries as notification_queries
from shieldwall.notifications.mail import deliver
from shieldwall.notifications.service import NotificationService
from shieldwall.scheduler import JOBS, Round, SchedulerThread, run_forever, run_jobs
from shieldwall.serving import SOCKET_PER_WORKER, listening_sockets, serve_workers

app = typer.Typer(
    # Markdown joins a docstring's lines into one paragraph in the commands' lists (Rich's
    # markup keeps the source's line breaks there); the sub-apps inherit it.
    rich_markup_mode="markdown",
    help="Shieldwall: requests, offers, commitments and deliveries of a security partnership.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
user_app = typer.Typer(help="User accounts: each belongs to one delegation.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(council_app, name="council")
app.add_typer(guarantees_app, name="guarantees")
app.add_typer(obligations_app, name="obligations")
app.add_typer(import_app, name="import")
app.add_typer(ledger_app, name="ledger")
app.add_typer(envelope_app, name="envelope")
app.add_typer(match_app, name="match")
mail_app = typer.Typer(help="The outbox of notification mail.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")


@app.command()
def init(db: DbOption = None) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    url = database_url(db)
    try:
        migrate(url)
    except Exception as exc:  # a one-line message, not a stack trace
        fail(f"could not migrate the database: {type(exc).__name__}: {exc}".splitlines()[0])
    out.print(f"Schema is current at {open_platform(url).engine.url.render_as_string()}")


@app.command()
def demo(
    db: Annotated[Path, typer.Option("--db", help="SQLite file for the demo")] = Path(
        "var/demo.db"
    ),
    host: Annotated[
        str | None, typer.Option(help="Address", show_default="SHIELDWALL_HOST")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port", show_default="SHIELDWALL_PORT")] = None,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web app after building")
    ] = True,
) -> None:
    """Build the NATO–Ukraine demo database (afresh) and serve it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    migrate(url)
    ctx = open_platform(url, FixedClock(dt.datetime(2023, 7, 12, tzinfo=dt.UTC)))
    try:
        counts = build_demo(ctx, progress=sys.stderr.isatty())
    except DomainError as exc:  # a bad demo data file: name it, build nothing
        fail(f"the demo could not be built: {exc.detail}")
        return
    with ctx.reading() as s:
        total = queries.totals(s, OPERATOR)
    out.print(
        f"Demo built in {db}: {counts['requests']} requests, {counts['kiel_offers']} offers from "
        f"the Kiel tracker, {counts['illustrative_offers']} illustrative offers; "
        f"committed €{total['committed_eur']:,.0f}, delivered €{total['delivered_eur']:,.0f}."
    )
    unheld = counts["meetings"] - counts["meetings_held"]
    out.print(
        f"Council: {counts['meetings']} real meetings of the NATO–Ukraine Council "
        f"({counts['meetings_held']} held and closed with illustrative minutes, {unheld} not "
        f"reported held and left scheduled); {counts['illustrative_consultations']} illustrative "
        f"crisis consultation flagged late; {counts['illustrative_proposals']} illustrative "
        "proposals."
    )
    out.print(
        f"Guarantees: the {counts['instruments']} security agreements of 2024 as instruments with "
        f"their sources ({counts['amounts_2024']} with a 2024 figure); illustrative later years, "
        f"reports, {counts['offer_links']} offer links, the membership pathway and an armed-attack "
        f"exercise with its obligations open. Envelope: {counts['capability_packages']} "
        f"illustrative capability packages, {counts['planned_tranches']} planned tranches."
    )
    out.print(
        f"Sign in as [bold]ukr[/bold], [bold]deu[/bold], [bold]usa[/bold], … (one account per "
        f"delegation, its lower-case code) or [bold]sec[/bold] (the chair), "
        f"password [bold]{DEMO_PASSWORD}[/bold]. Demo accounts only: never use them elsewhere."
    )
    ctx.engine.dispose()
    if serve_after:
        settings = get_settings()  # as ``serve``: `make demo` may be moved off a port in use
        _serve(url, host or settings.host, port or settings.port)


WORKER_HEALTHCHECK_SECONDS = 60
BACKLOG = 2048  # uvicorn's: connections waiting for a worker to accept them


def _serve(url: str, host: str, port: int, workers: int = 1) -> None:
    """Serve the app on ``url``'s database; with ``workers`` > 1, in that many processes that
    uvicorn's supervisor starts, watches and restarts (each with its own connection pool and
    its own listening socket, so that each accepts its share of the connections), while this
    process runs the one scheduler."""
    # Imported here, not at the top: the web app's routes and pages take about a second to
    # import, which every other command (each a process of its own) would pay for nothing.
    from shieldwall.app import serving_app

    settings = Settings(database_url=url)
    sockets: list[socket.socket] = []
    if workers > 1 and SOCKET_PER_WORKER:
        try:
            sockets = listening_sockets(host, port, workers, BACKLOG)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
            return
    if workers > 1:
        # Each worker builds its app with ``serving_app()``, reading its settings from the
        # environment it inherits: the database is the one named here.
        os.environ["SHIELDWALL_DATABASE_URL"] = url
        platform = open_platform(url)
        target: Any = "shieldwall.app:serving_app"
    else:
        application = serving_app(settings)
        platform = application.state.platform
        target = application
    scheduler = None
    if settings.run_scheduler:
        # The deadlines and the mail run beside the app, on its platform; stopped once the
        # server has shut down (Ctrl+C or SIGTERM), after the round under way.
        scheduler = SchedulerThread(platform, settings.scheduler_interval_seconds)
        scheduler.start()
    where = f"http://{host}:{port}/"
    with_scheduler = (
        f"scheduler every {settings.scheduler_interval_seconds:g} s"
        if scheduler
        else "scheduler off (SHIELDWALL_RUN_SCHEDULER=false)"
    )
    processes = f"{workers} worker processes" if workers > 1 else "1 process"
    out.print(f"Serving Shieldwall on {where}  ({processes}; {with_scheduler}; Ctrl+C to stop)")
    try:
        if workers > 1:
            serve_workers(target, host, port, workers, sockets, WORKER_HEALTHCHECK_SECONDS, BACKLOG)
        else:
            uvicorn.run(target, host=host, port=port, log_level="warning", access_log=False)
    finally:
        if scheduler is not None:
            scheduler.stop()
            out.print("Scheduler stopped")
        platform.engine.dispose()


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address", show_default="SHIELDWALL_HOST")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port", show_default="SHIELDWALL_PORT")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Processes answering requests, each accepting its share of the connections "
            "(its own listening socket: SO_REUSEPORT)",
            show_default="SHIELDWALL_WORKERS",
        ),
    ] = None,
) -> None:
    """Serve the web app and the API."""
    settings = get_settings()
    ctx = ready_context(db)
    ctx.engine.dispose()
    _serve(
        database_url(db), host or settings.host, port or settings.port, workers or settings.workers
    )


GroupBy = Annotated[
    str,
    typer.Option("--group-by", help=f"Comma-separated keys from: {', '.join(queries.GROUP_KEYS)}"),
]


@app.command()
def report(
    group_by: GroupBy = "member,kind",
    fmt: FormatOption = Format.table,
    member: Annotated[str | None, typer.Option(help="Only this member (code)")] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: arm, train, equip, finance")
    ] = None,
    area: Annotated[str | None, typer.Option(help="Only this capability area (code)")] = None,
    db: DbOption = None,
) -> None:
    """Print the consolidated view: offered, committed and delivered, in EUR and quantity."""
    plain({"--group-by": group_by, "--member": member, "--kind": kind, "--area": area})
    ctx = ready_context(db)
    try:
        keys = queries.parse_group_by(group_by)
        with ctx.reading() as s:
            rows = queries.ledger_summary(
                s, OPERATOR, keys, queries.EntryFilter(member=member, kind=kind, area=area)
            )
    except (DomainError, ValueError) as exc:
        fail(str(exc))
        return
    write_rows(
        rows,
        keys + list(queries.MEASURE_COLUMNS),
        fmt,
        f"Consolidated ledger by {', '.join(keys) or 'total'}",
    )


class ExportWhat(StrEnum):
    requests = "requests"
    offers = "offers"
    deliveries = "deliveries"
    entries = "entries"
    summary = "summary"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


@app.command()
def export(
    output: Annotated[Path, typer.Argument(help="File to write (use - for standard output)")],
    what: Annotated[
        ExportWhat,
        typer.Option(
            parser=one_of(ExportWhat, "--what"),
            help="requests, offers, deliveries, entries or summary",
        ),
    ] = ExportWhat.entries,
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", parser=one_of(ExportFormat, "--format"), help="csv, json or xlsx"),
    ] = ExportFormat.csv,
    group_by: GroupBy = "member,kind",
    db: DbOption = None,
) -> None:
    """Write the requests, offers or deliveries lists (every row, the columns of the pages'
    downloads), the ledger entries or a summary as CSV, JSON or XLSX."""
    plain({"--group-by": group_by})
    ctx = ready_context(db)
    if fmt == ExportFormat.xlsx and str(output) == "-":
        fail("XLSX cannot go to standard output: name a file")
    try:
        with ctx.reading() as s:
            if what == ExportWhat.summary:
                keys = queries.parse_group_by(group_by)
                rows: Iterable[dict[str, Any]] = queries.ledger_summary(s, OPERATOR, keys)
                columns = list(listings.ledger_summary_table(keys).columns)
                total = None
            elif what.value in listings.LISTS:
                columns, rows = listings.list_download(s, OPERATOR, what.value)
                total = None
            else:
                total = s.scalar(select(func.count()).select_from(LedgerEntry)) or 0
                rows = queries.iter_entries(s, OPERATOR, queries.EntryFilter())
                columns = list(listings.ENTRY_COLUMNS)
            with writing_to(output):
                written = _export(
                    in_euros(columns, rows), [c.key for c in columns], fmt, output, total
                )
    except DomainError as exc:
        fail(str(exc))
        return
    if str(output) != "-":
        err.print(f"Wrote {written:,} {what.value} rows to {output}")


def _export(
    rows: Iterable[dict[str, Any]],
    columns: list[str],
    fmt: ExportFormat,
    output: Path,
    total: int | None,
) -> int:
    """Write the rows in ``fmt``; a progress bar on long exports to a file."""
    show = total is not None and str(output) != "-" and total > 10_000
    progress = Progress(
        TextColumn("Exporting"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=err,
        disable=not show,
        transient=True,
    )
    count = 0

    def counted(source: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in source:
            yield row
            count += 1
            if count % 1000 == 0:
                progress.update(task, completed=count)

    with progress:
        task = progress.add_task("export", total=total)
        if fmt == ExportFormat.xlsx:
            # Opened first: a file that cannot be written is refused before the workbook is built.
            with output.open("wb") as book:
                write_xlsx(counted(rows), columns, book)
            return count
        writer = csv_lines if fmt == ExportFormat.csv else json_lines
        handle: io.TextIOBase | Any
        handle = (
            sys.stdout if str(output) == "-" else output.open("w", newline="", encoding="utf-8")
        )
        try:
            for line in writer(counted(rows), columns):
                handle.write(line)
        finally:
            if handle is not sys.stdout:
                handle.close()
    return count


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    anchor: Annotated[
        Path | None,
        typer.Option(help="Anchor file: also check the chain still reaches its newest anchor"),
    ] = None,
) -> None:
    """Check the audit chain; print OK or the first broken link (and exit non-zero)."""
    ctx = ready_context(db)
    try:
        anchored = read_anchors(anchor)[-1:] if anchor is not None else []
    except DomainError as exc:
        fail(exc.detail)
    with ctx.reading() as s:
        count, broken = verify_chain(s)
        cut = anchor_problem(s, anchored[0]) if anchored else None
    if broken is not None:
        fail(
            f"audit record {broken.record_id}: {broken.problem} "
            f"({count:,} records verified before it)"
        )
    if cut is not None:
        fail(cut)
    reaches = f"; reaches the anchor of record {anchored[0].sequence}" if anchored else ""
    if anchor is not None and not anchored:
        reaches = f"; {anchor} holds no anchor yet"
    out.print(f"OK: {count:,} audit records, chain intact{reaches}")


@audit_app.command("anchor")
def audit_anchor(
    db: DbOption = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Anchor file", show_default="SHIELDWALL_AUDIT_ANCHOR_FILE"),
    ] = None,
) -> None:
    """Append the chain's head (sequence, hash, time) to a file outside the database."""
    ctx = ready_context(db)
    path = file or Path(ctx.settings.audit_anchor_file)
    with ctx.reading() as s:
        _count, broken = verify_chain(s)
        head = chain_head(s, ctx.clock.now())
    if broken is not None:
        fail(f"the chain is broken at audit record {broken.record_id}: not anchoring it")
    if head is None:
        fail("the audit log is empty: nothing to anchor yet")
        return
    append_anchor(path, head)
    out.print(f"Anchored record {head.sequence} {head.hash} at {head.at:%Y-%m-%d %H:%M:%S} UTC")
    err.print(f"appended to {path}")


def _password(given: str | None, prompt: str) -> str:
    if given is not None:
        return given
    if not sys.stdin.isatty():
        fail("give --password, or run in a terminal to be asked for it")
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return value


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Sign-in name, e.g. j.smith")],
    delegation: Annotated[str, typer.Option(help="Delegation code, e.g. DEU, UKR, SEC")],
    role: Annotated[
        str, typer.Option(help=f"One of: {', '.join(r.value for r in Role)}")
    ] = Role.OFFICER.value,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    password: Annotated[
        str | None, typer.Option(help="Initial password (asked for when omitted)")
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="E-mail address for notifications (optional)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a user in a delegation."""
    plain(
        {
            "USERNAME": username,
            "--delegation": delegation,
            "--role": role,
            "--name": name,
            "--password": password,
            "--email": email,
        }
    )
    ctx = ready_context(db)
    secret = _password(password, "Password")
    try:
        with ctx.unit_of_work() as uow:  # the user and their address, or neither
            AccessService(uow).add_user(
                OPERATOR,
                username=username,
                delegation=delegation,
                role=role,
                password=secret,
                display_name=name,
            )
            if email:
                NotificationService(uow).set_email(OPERATOR, username, email)
    except DomainError as exc:
        fail(exc.detail)
    mailed = f", notified at {email.strip()}" if email else ""
    out.print(f"User {username.lower()} added to {delegation.upper()} as {role}{mailed}")


@user_app.command("set-email")
def user_set_email(
    username: Annotated[str, typer.Argument(help="Sign-in name")],
    address: Annotated[str, typer.Argument(help="E-mail address; '' (empty) clears it")],
    db: DbOption = None,
) -> None:
    """Set (or clear) the address a user's notification mail goes to."""
    plain({"USERNAME": username, "ADDRESS": address})
    ctx = ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            NotificationService(uow).set_email(OPERATOR, username, address.strip() or None)
    except DomainError as exc:
        fail(exc.detail)
    if address.strip():
        out.print(f"Notifications for {username.lower()} go to {address.strip()}")
    else:
        out.print(f"{username.lower()} has no address now: notified in the app only")


@user_app.command("list")
def user_list(db: DbOption = None) -> None:
    """List users with their delegation, role and whether they are disabled."""
    ctx = ready_context(db)
    with ctx.unit_of_work() as uow:
        users = AccessService(uow).list_users()
    if not users:
        out.print("No users yet: add one with `shieldwall user add NAME --delegation CODE`")
        return
    table = Table(title="Users")
    for column in ("username", "display_name", "delegation", "role", "disabled"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u["username"],
            u["display_name"],
            u["delegation"],
            u["role"],
            "yes" if u["disabled"] else "",
        )
    out.print(table)


@user_app.command("disable")
def user_disable(username: str, db: DbOption = None) -> None:
    """Disable a user: ends their sessions and revokes their tokens."""
    plain({"USERNAME": username})
    ctx = ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            AccessService(uow).disable_user(OPERATOR, username)
    except DomainError as exc:
        fail(exc.detail)
    out.print(f"User {username.lower()} disabled; sessions ended, tokens revoked")


@user_app.command("reset-password")
def user_reset_password(
    username: str,
    password: Annotated[
        str | None, typer.Option(help="New password (asked for when omitted)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Set a new password; the user's browser sessions end and their tokens are revoked."""
    plain({"USERNAME": username, "--password": password})
    ctx = ready_context(db)
    secret = _password(password, "New password")
    try:
        with ctx.unit_of_work() as uow:
            AccessService(uow).reset_password(OPERATOR, username, secret)
    except DomainError as exc:
        fail(exc.detail)
    out.print(f"Password of {username.lower()} reset; sessions ended, tokens revoked")


# ---- mail and the scheduler ------------------------------------------------------------------


@mail_app.command("send")
def mail_send(db: DbOption = None) -> None:
    """Send the notification mail that is due, once; print how many were sent and failed."""
    ctx = ready_context(db)
    done = deliver(ctx)
    with ctx.reading() as s:
        status = notification_queries.mail_status(s, ctx.clock.now())
    if done.no_server:
        fail(
            "no SMTP host is configured (SHIELDWALL_SMTP_HOST): "
            f"{status['pending']} mails are kept pending, none lost"
        )
    out.print(
        f"Sent {done.sent}, failed {done.failed}; pending now {status['pending']} "
        f"({status['failed']} waiting for a retry)"
    )


@mail_app.command("status")
def mail_status(db: DbOption = None) -> None:
    """How many mails are pending, due, failed (waiting for a retry) and sent."""
    ctx = ready_context(db)
    with ctx.reading() as s:
        status = notification_queries.mail_status(s, ctx.clock.now())
    server = ctx.settings.smtp_host
    out.print(
        f"pending {status['pending']} (due now {status['due']}, failed before "
        f"{status['failed']}), sent {status['sent']}"
    )
    if server:
        out.print(f"SMTP server: {server} ({ctx.settings.smtp_security})")
    else:
        out.print("No SMTP host configured (SHIELDWALL_SMTP_HOST): mail is kept pending")


def _round_text(round_: Round) -> str:
    done = ", ".join(f"{name} {count}" for name, count in round_.done.items()) or "no jobs"
    failed = "".join(f"; {name} FAILED: {why}" for name, why in round_.failed.items())
    return done + failed


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run every job once, then exit")] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help="Seconds between rounds",
            show_default="SHIELDWALL_SCHEDULER_INTERVAL_SECONDS",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Run the scheduler in the foreground: every feature's deadlines, and the mail."""
    ctx = ready_context(db)
    if once:
        round_ = run_jobs(ctx)
        out.print(f"Ran the scheduled jobs once: {_round_text(round_)}")
        if round_.failed:
            raise typer.Exit(1)
        return
    seconds = interval or ctx.settings.scheduler_interval_seconds
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # stop between rounds, as Ctrl+C
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    rounds = 0
    with out.status(f"Scheduler: every {seconds:g} s", spinner="dots") as status:

        def report(round_: Round) -> None:
            nonlocal rounds
            rounds += 1
            at = ctx.clock.now().strftime("%H:%M:%S")
            status.update(f"Scheduler round {rounds} at {at} UTC: {_round_text(round_)}")

        try:
            run_forever(ctx, stop, seconds, JOBS, report)
        except KeyboardInterrupt:
            stop.set()
    out.print(f"Worker stopped after {rounds} rounds")


def main() -> None:
    app()
