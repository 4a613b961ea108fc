"""``shieldwall import``: the Kiel tracker, UN OCHA FTS, and CSV/XLSX of requests, offers and
deliveries. Every import checks the whole file, then applies it in one transaction (or, with
``--dry-run``, rolls back); the check report lists every bad row with its line and reason."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from shieldwall.assistance.imports import import_fts, import_kiel
from shieldwall.assistance.table_imports import import_table
from shieldwall.cli_common import (
    OPERATOR,
    DbOption,
    err,
    fail,
    one_of,
    plain,
    ready_context,
    writing_to,
)
from shieldwall.guarantees.queries import rates_of
from shieldwall.importers.common import ImportOutcome, sha256_of, write_rejects
from shieldwall.importers.fts import read_flows
from shieldwall.importers.kiel import read_months, read_release
from shieldwall.importers.tables import RecordType, Sheet, sheets, write_templates
from shieldwall.kit.errors import DomainError
from shieldwall.kit.uow import UnitOfWork

import_app = typer.Typer(
    help="Import data: the Kiel tracker, UN OCHA FTS, CSV/XLSX of requests, offers, deliveries.",
    no_args_is_help=True,
)

DryRun = Annotated[bool, typer.Option("--dry-run", help="Check and report, change nothing")]
SkipBad = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Apply the good rows and write the bad ones to the rejects file",
    ),
]
Rejects = Annotated[
    Path | None,
    typer.Option(
        "--rejects", help="Where --skip-bad writes the bad rows", show_default="FILE.rejects.csv"
    ),
]
SHOWN_REJECTIONS = 50


def progress(label: str) -> Progress:
    """A progress bar on standard error (standard output stays for data)."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


def rejects_file(file: Path, rejects: Path | None, skip_bad: bool) -> Path | None:
    """Where the bad rows are written: ``--rejects PATH`` if given, else ``FILE.rejects.csv``
    with ``--skip-bad``, else nowhere. Checked before anything is applied: good rows applied
    and their rejects then unwritable would leave no list of what was left out."""
    path = rejects or (file.with_name(f"{file.stem}.rejects.csv") if skip_bad else None)
    if path is None:
        return None
    if path.is_dir():
        fail(f"{path}: cannot write there (it is a folder)")
    if not path.parent.is_dir():
        fail(f"{path}: cannot write there (no such folder {path.parent})")
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        fail(f"{path}: cannot write there (permission denied)")
    return path


def report_outcome(outcome: ImportOutcome, rejects: Path | None = None) -> None:
    """Print what the import did; every bad row (the first ``SHOWN_REJECTIONS`` on screen,
    all of them in the rejects file if one is named). Exit 1 if a bad row stopped the
    import."""
    verb = "would apply" if outcome.dry_run or outcome.stopped else "applied"
    for note in outcome.notes:
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False, soft_wrap=True)
    if outcome.rejected:
        table = Table(title=f"{len(outcome.rejected):,} bad rows in {outcome.file_name}")
        for column in ("line", "field", "reason"):
            table.add_column(column, overflow="fold")
        for r in outcome.rejected[:SHOWN_REJECTIONS]:
            table.add_row(str(r.line), r.field, r.reason)
        err.print(table)
        if len(outcome.rejected) > SHOWN_REJECTIONS:
            err.print(f"… and {len(outcome.rejected) - SHOWN_REJECTIONS:,} more")
    if rejects is not None and outcome.rejected:
        with writing_to(rejects):
            written = write_rejects(rejects, outcome.rejected)
        err.print(f"Wrote {written:,} rejected rows to {rejects}")
    summary = (
        f"{outcome.file_name}: {outcome.rows_read:,} rows read, {outcome.applied:,} {verb}, "
        f"{outcome.unchanged:,} already there, {len(outcome.rejected):,} rejected"
    )
    err.print(summary, highlight=False, soft_wrap=True)
    if outcome.stopped:
        fail(
            f"nothing applied: {len(outcome.rejected):,} bad rows (see above); "
            "fix them, or apply the good rows with --skip-bad"
        )
    if outcome.rejected and outcome.applied == 0 and outcome.unchanged == 0:
        # --skip-bad was given, and found no good row to apply: fixing the rows is what is left.
        fail(f"nothing applied: no row is good ({len(outcome.rejected):,} bad rows, see above)")


def _in_one_transaction(
    db: str | None, work: Callable[[UnitOfWork], ImportOutcome]
) -> ImportOutcome:
    """Run an import in one unit of work (the import itself keeps or rolls back what it wrote,
    ``importers.common.all_or_nothing``); a bad file is one line naming it, nothing applied."""
    ctx = ready_context(db)
    try:
        with ctx.unit_of_work() as uow:
            return work(uow)
    except DomainError as exc:
        fail(f"{exc.detail}; nothing was imported")
        raise  # fail() exits; this line is never reached
    finally:
        ctx.engine.dispose()


# ---- trackers: Kiel and FTS


def _data_rows(path: Path) -> int:
    """How many lines a CSV file has after its header (for the progress bar's total)."""
    with path.open("rb") as handle:
        return max(sum(1 for _line in handle) - 1, 0)


@import_app.command("kiel")
def kiel(
    folder: Annotated[Path, typer.Argument(help="A Kiel release folder (data_explorer.csv …)")],
    partner: Annotated[
        str | None, typer.Option(help="The partner the aid went to", show_default="the one seated")
    ] = None,
    dry_run: DryRun = False,
    db: DbOption = None,
) -> None:
    """Import the Kiel Ukraine Support Tracker's data explorer (release_info.csv and
    data_explorer.csv): each donor's allocations by area and its commitments, by month, as
    reported figures; and each donor's GDP."""
    plain({"--partner": partner})
    explorer, info = folder / "data_explorer.csv", folder / "release_info.csv"
    for path in (info, explorer):
        if not path.is_file():
            fail(f"{path}: no such file (give a Kiel release folder)")
    try:
        release = read_release(info)
    except DomainError as exc:
        fail(exc.detail)
    outcome = ImportOutcome(
        "kiel", explorer.name, sha256_of(explorer), release=release.short, dry_run=dry_run
    )

    def work(uow: UnitOfWork) -> ImportOutcome:
        with progress(f"Kiel {release.short}") as bar:
            task = bar.add_task("rows", total=_data_rows(explorer))
            return import_kiel(
                uow,
                OPERATOR,
                outcome,
                release,
                read_months(explorer),
                partner,
                step=lambda: bar.advance(task),
            )

    report_outcome(_in_one_transaction(db, work))


@import_app.command("fts")
def fts(
    file: Annotated[Path, typer.Argument(help="A page of FTS flows (v1/fts/flow/custom-search)")],
    dry_run: DryRun = False,
    skip_bad: SkipBad = False,
    rejects: Rejects = None,
    db: DbOption = None,
) -> None:
    """Import UN OCHA FTS flows: each flow an offer from its source organisation to its
    destination, pledge offered, commitment committed, paid delivered; its US dollars and
    original currency kept, its value in euros at the USD rate recorded on or before its date."""
    if not file.is_file():
        fail(f"{file}: no such file")
    rejects = rejects_file(file, rejects, skip_bad)
    try:
        flows = read_flows(file)
    except DomainError as exc:
        fail(f"{exc.detail}; nothing was imported")
    outcome = ImportOutcome("fts", file.name, sha256_of(file), dry_run=dry_run)

    def work(uow: UnitOfWork) -> ImportOutcome:
        usd = rates_of(uow.session, "USD")
        with progress("FTS flows") as bar:
            task = bar.add_task("flows", total=len(flows))
            return import_fts(
                uow,
                OPERATOR,
                outcome,
                flows,
                usd,
                step=lambda: bar.advance(task),
                skip_bad=skip_bad,
            )

    done = _in_one_transaction(db, work)
    report_outcome(done, rejects)


# ---- tables: requests, offers, deliveries


@import_app.command("table")
def import_table_file(
    file: Annotated[Path, typer.Argument(help="A CSV file, or an XLSX workbook")],
    record_type: Annotated[
        RecordType | None,
        typer.Option(
            "--type",
            parser=one_of(RecordType, "--type"),
            help="What the rows are",
            show_default="told by the header",
        ),
    ] = None,
    dry_run: DryRun = False,
    skip_bad: SkipBad = False,
    rejects: Rejects = None,
    db: DbOption = None,
) -> None:
    """Import requests, offers and deliveries from a CSV file (one record type, told by its
    header or --type) or an XLSX workbook (sheets requests, offers, deliveries, in that order).
    The whole file is checked; one bad row applies nothing unless --skip-bad."""
    if not file.is_file():
        fail(f"{file}: no such file")
    rejects = rejects_file(file, rejects, skip_bad)
    digest = sha256_of(file)

    def work(uow: UnitOfWork) -> ImportOutcome:
        with progress(f"Importing {file.name}") as bar:
            task = bar.add_task("rows", total=None)

            def opened() -> list[Sheet]:
                tables = sheets(file, record_type)
                bar.update(task, total=sum(t.estimated_rows or 0 for t in tables) or None)
                return tables

            return import_table(
                uow,
                OPERATOR,
                opened,
                file_name=file.name,
                sha256=digest,
                dry_run=dry_run,
                skip_bad=skip_bad,
                on_rows=lambda n: bar.advance(task, n),
            )

    report_outcome(_in_one_transaction(db, work), rejects)


@import_app.command("template")
def import_template(
    directory: Annotated[Path, typer.Argument(help="Where to write the templates")],
) -> None:
    """Write the templates: requests.csv, offers.csv, deliveries.csv (a header and one
    example row each) and shieldwall-import.xlsx (a sheet per record type)."""
    with writing_to(directory):
        written = write_templates(directory)
    for path in written:
        err.print(f"Wrote {path}", highlight=False, soft_wrap=True)
