"""``shieldwall ledger``: the maintained balances recomputed from the entries, or compared."""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from shieldwall.assistance import balances
from shieldwall.assistance.tables import ledger_rollup, offer_balance
from shieldwall.cli_common import OPERATOR, DbOption, err, fail, out, ready_context

ledger_app = typer.Typer(
    help="The roll-ups and offer balances maintained with the ledger's entries.",
    no_args_is_help=True,
)


@ledger_app.command("rebuild")
def rebuild(db: DbOption = None) -> None:
    """Recompute the roll-ups and offer balances from the entries, in one transaction."""
    ctx = ready_context(db)
    steps = len(balances.GRAINS) + 1
    progress = Progress(
        TextColumn("Rebuilding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    try:
        with progress, ctx.unit_of_work() as uow:
            task = progress.add_task("", total=steps)

            def step(name: str) -> None:
                progress.update(task, description=name, completed=progress.tasks[0].completed + 1)

            balances.rebuild(uow.session, step)
            progress.update(task, completed=steps)
            counts = _counts(uow.session)
            uow.audit(
                OPERATOR, uow.clock.now(), "ledger.rebuild", "ledger", "rollups", None, counts
            )
    finally:
        ctx.engine.dispose()
    out.print(
        f"Rebuilt {counts['rollup_rows']:,} roll-up rows and {counts['offer_balances']:,} "
        "offer balances from the ledger's entries"
    )


def _counts(session: Any) -> dict[str, int]:
    return {
        "rollup_rows": int(session.scalar(select(func.count()).select_from(ledger_rollup)) or 0),
        "offer_balances": int(session.scalar(select(func.count()).select_from(offer_balance)) or 0),
    }


@ledger_app.command("check")
def check(db: DbOption = None) -> None:
    """Compare the roll-ups and offer balances with the entries; print each difference and
    exit 1 on any."""
    ctx = ready_context(db)
    try:
        with ctx.reading() as s:
            found = balances.differences(s)
    finally:
        ctx.engine.dispose()
    for d in found:
        key = ", ".join(f"{k}={v!r}" for k, v in d.key.items())
        out.print(
            f"{d.table} ({key}): maintained {_sums(d.maintained)}; "
            f"from the entries {_sums(d.from_entries)}",
            highlight=False,
            soft_wrap=True,
        )
    if found:
        fail(f"{len(found)} maintained balances differ from the ledger's entries")
    out.print("OK: the roll-ups and offer balances equal the ledger's entries")


def _sums(values: dict[str, int] | None) -> str:
    if values is None:
        return "none"
    return " ".join(f"{k}={v}" for k, v in values.items())
