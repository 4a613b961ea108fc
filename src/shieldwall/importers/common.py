"""What every import shares: reading a file row by row with its line numbers, the check
report (every bad row with its line and reason), the file's fingerprint, and the rejects file.

Importers read and check; they never write to the database. The writing is a feature's
service (``assistance.imports``), run in the unit of work it is given: one file, one
transaction, so one bad row applies nothing (unless the caller chose to skip bad rows).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.exports import csv_lines
from shieldwall.kit.i18n import gettext as _

# A row is read in blocks of this many bytes: memory stays flat however large the file.
CHUNK = 1 << 20
# A CSV field longer than this is refused (the csv module's own limit is 128 KiB).
MAX_FIELD = 100_000


@dataclass(frozen=True)
class Rejection:
    """One bad row: its line in the file (1 = the header), the column, and why."""

    line: int
    field: str
    reason: str
    # The row as the file gave it (column → text), written to the rejects file beside the
    # reason, so that it can be corrected there and imported again.
    values: dict[str, str] | None = dataclasses.field(default=None, compare=False, hash=False)


@dataclass
class ImportOutcome:
    """What an import did, or would do in a dry run."""

    source: str
    file_name: str
    sha256: str
    release: str | None = None
    dry_run: bool = False
    rows_read: int = 0
    applied: int = 0  # rows that created or changed something
    unchanged: int = 0  # rows already there as the file says (a second import: all of them)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts about the data worth saying
    created: dict[str, int] = field(default_factory=dict)  # new records, by record type
    imported_file_id: int | None = None  # the ImportedFile row written, if anything changed
    # Bad rows stopped the import (without --skip-bad): nothing was applied, and ``applied``
    # counts what would have been.
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected


def all_or_nothing(
    session: Session,
    outcome: ImportOutcome,
    write: Callable[[], object],
    *,
    skip_bad: bool = False,
    keep: Callable[[], object] = lambda: None,
    changed: Callable[[], bool] | None = None,
) -> bool:
    """The one way every import applies a file: ``write`` checks every row and writes the good
    ones inside a savepoint; what it wrote is kept only if the file may be applied — not a dry
    run, something changed (``changed``, by default: a row was applied), and no bad row (or
    bad rows and ``skip_bad``) — after ``keep``
    (the file's own record) has run. Otherwise it is rolled back whole, and
    ``outcome.stopped`` says whether bad rows stopped it; the report is the same either way.
    True if it was kept."""
    savepoint = session.begin_nested()
    try:
        write()
        something = changed() if changed is not None else outcome.applied > 0
        applicable = something and not outcome.dry_run and (skip_bad or not outcome.rejected)
        if applicable:
            keep()
    except BaseException:
        savepoint.rollback()
        raise
    if applicable:
        savepoint.commit()
    else:
        savepoint.rollback()
        outcome.stopped = bool(outcome.rejected) and not skip_bad
        outcome.imported_file_id = None  # its row, if one was written, is rolled back
    return applicable


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class TextFile:
    """A text file opened for reading as UTF-8 (a byte-order mark is allowed), whose bytes
    that are not UTF-8 are reported with the line they are on, not as a stack trace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def lines(self) -> Iterator[str]:
        """The file's lines, each decoded on its own: a byte that is not UTF-8 is reported
        with the line it is on (a line break is the same byte in every UTF-8 text)."""
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidInput(
                        self.name,
                        _(
                            "the file is not UTF-8 text (a byte that is not UTF-8 on line "
                            "{line}): save it as “CSV UTF-8” and import it again"
                        ).format(line=number),
                    ) from None
                yield line.removeprefix("\ufeff") if number == 1 else line


def csv_rows(
    path: Path, required: Iterable[str], optional: Iterable[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row of a CSV file as (line number, {column: text}), streamed.

    The header must name every required column, may name optional ones, and nothing else
    (a misspelt column would otherwise be silently ignored); an empty file, a file with a
    header only, a row with more or fewer fields than the header, and a field longer than
    ``MAX_FIELD`` are refused with the file's name and the line."""
    name = path.name
    text = TextFile(path)
    lines = text.lines()
    reader = csv.reader(_counted(name, lines, counter := [0]), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise InvalidInput(name, _("the file is empty: it has no header line"))
        columns = [h.strip() for h in header]
        check_header(name, columns, required, optional)
        rows = 0
        for fields in reader:
            line = counter[0]
            if not any(f.strip() for f in fields):
                continue  # a blank line (spreadsheets often end with some)
            if len(fields) != len(columns):
                raise InvalidInput(
                    f"{name} line {line}",
                    _("the row has {n} fields, the header {m}").format(
                        n=len(fields), m=len(columns)
                    ),
                )
            rows += 1
            yield line, dict(zip(columns, fields, strict=True))
        if rows == 0:
            raise InvalidInput(name, _("the file has a header but no rows"))
    except csv.Error as exc:
        raise InvalidInput(
            f"{name} line {counter[0]}", _("not valid CSV: {problem}").format(problem=exc)
        ) from None


def _counted(name: str, lines: Iterator[str], counter: list[int]) -> Iterator[str]:
    """The lines, counting them: the csv reader's own count includes quoted line breaks,
    this is the physical line the current row ends on."""
    for line in lines:
        counter[0] += 1
        if len(line) > MAX_FIELD:
            raise InvalidInput(
                f"{name} line {counter[0]}",
                _("the line is longer than {n} characters").format(n=f"{MAX_FIELD:,}"),
            )
        yield line


def check_header(
    name: str, columns: list[str], required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    """Every required column present, no unknown or repeated column: else one message
    naming them all."""
    required = list(required)
    known = set(required) | set(optional)
    problems = []
    missing = [c for c in required if c not in columns]
    if missing:
        problems.append(_("missing columns: {columns}").format(columns=", ".join(missing)))
    unknown = [c for c in columns if c not in known]
    if unknown:
        problems.append(
            _("unknown columns: {columns} (expected {expected})").format(
                columns=", ".join(unknown), expected=", ".join(sorted(known))
            )
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(_("repeated columns: {columns}").format(columns=", ".join(repeated)))
    if problems:
        raise InvalidInput(name, "; ".join(problems))


REJECT_COLUMNS = ["line", "field", "reason"]


def write_rejects(path: Path, rejected: Iterable[Rejection]) -> int:
    """The rejected rows as CSV (line, field, reason, then the row's own values, each under
    its column); returns how many were written."""
    rejected = list(rejected)
    columns = list(REJECT_COLUMNS)
    for r in rejected:
        columns += [c for c in (r.values or {}) if c not in columns]

    def rows() -> Iterator[dict[str, object]]:
        for r in rejected:
            yield {**(r.values or {}), "line": r.line, "field": r.field, "reason": r.reason}

    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.writelines(csv_lines(rows(), columns))
    return len(rejected)
