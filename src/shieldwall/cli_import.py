"""``shieldwall import``: the Kiel tracker, UN OCHA FTS, and CSV/XLSX of requests, offers and
deliveries. Every import checks the whole file, then applies it in one transaction (or, with
``--dry-run``, rolls back); the check report lists every bad row with its line and reason."""

from __future__ import annotations

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

from shieldwall.cli_common import err, fail
from shieldwall.importers.common import ImportOutcome, write_rejects

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
        "--rejects", help="Where --skip-bad writes the bad rows [default: FILE.rejects.csv]"
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


def report_outcome(outcome: ImportOutcome, rejects: Path | None = None) -> None:
    """Print what the import did; every bad row (the first ``SHOWN_REJECTIONS`` on screen,
    all of them in the rejects file if one is named). Exit 1 if a bad row stopped the
    import."""
    verb = "would apply" if outcome.dry_run else "applied"
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
        written = write_rejects(rejects, outcome.rejected)
        err.print(f"Wrote {written:,} rejected rows to {rejects}")
    summary = (
        f"{outcome.file_name}: {outcome.rows_read:,} rows read, {outcome.applied:,} {verb}, "
        f"{outcome.unchanged:,} already there, {len(outcome.rejected):,} rejected"
    )
    err.print(summary, highlight=False, soft_wrap=True)
    if outcome.rejected and outcome.applied == 0 and outcome.unchanged == 0:
        fail(f"nothing applied: {len(outcome.rejected):,} bad rows (see above)")
