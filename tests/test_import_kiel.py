"""`shieldwall import kiel`: the Kiel Institute's Ukraine Support Tracker, release 29, imported
into a blank database reproduces the tracker's own totals (issue 11, "Must show").

Every expected figure is computed here from Kiel's data_explorer.csv with ``csv`` and
``Decimal``: committed = Σ ``total`` (allocations, 358.4 bn), offered = Σ ``commitments``
(548.0 bn); % of GDP = Σ ``pct_gdp`` (Kiel's basis). The release is the unmodified copy in
tests/data/ (checked against ``shared/`` by tests/test_import_data_copies.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from typer.testing import CliRunner, Result

from shieldwall.access.model import SYSTEM
from shieldwall.assistance.tables import ImportedFile, LedgerEntry, Offer
from shieldwall.audit.tables import AuditRecord
from shieldwall.cli import app
from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees import queries as guarantees
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import IllegalTransition
from tests.conftest import BuiltDemo
from tests.pgcluster import Cluster
from tests.platform import open_test_platform

RELEASE = Path(__file__).resolve().parent / "data/kiel-ust-r29"
EXPLORER = RELEASE / "data_explorer.csv"
TOLERANCE_BN = Decimal("1e-6")
NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)


def shieldwall(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def kiel_rows() -> list[dict[str, str]]:
    with EXPLORER.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# The one code Kiel writes otherwise than the platform: the EU, whose ISO 3166 alpha-3 code
# (reserved) is EUU, as the demo's contributor and its security agreements name it.
DELEGATION_CODES = {"EU": "EUU"}


def code_of(iso: str) -> str:
    return DELEGATION_CODES.get(iso, iso)


def by_donor(column: str) -> dict[str, Decimal]:
    """Kiel's sums of ``column`` per donor, by the donor's delegation code."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in kiel_rows():
        sums[code_of(row["iso"])] += Decimal(row[column])
    return dict(sums)


def counts(url: str) -> tuple[int, int, int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return (
                c.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
                c.scalar(select(func.count()).select_from(AuditRecord)) or 0,
                c.scalar(select(func.count()).select_from(ImportedFile)) or 0,
                c.scalar(select(func.count()).select_from(Delegation)) or 0,
            )
    finally:
        engine.dispose()


def blank_sqlite(directory: Path) -> str:
    url = f"sqlite:///{directory / 'blank.db'}"
    result = shieldwall("init", "--db", url)
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def imported(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Result]]:
    """A blank database, `shieldwall init`-ed, with release 29 imported once."""
    if request.param == "sqlite":
        url = blank_sqlite(tmp_path_factory.mktemp("kiel"))
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        admin: Engine = request.getfixturevalue("pg_admin")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE sw_kiel"))
        url = cluster.url("sw_kiel")
        assert shieldwall("init", "--db", url).exit_code == 0
    result = shieldwall("import", "kiel", str(RELEASE), "--db", url)
    assert result.exit_code == 0, result.output
    yield url, result
    if request.param == "postgresql":
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE sw_kiel WITH (FORCE)"))


def report(url: str, group_by: str) -> list[dict[str, str]]:
    result = shieldwall("report", "--group-by", group_by, "--format", "csv", "--db", url)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def billions(eur: str) -> Decimal:
    return Decimal(eur) / 10**9


def test_report_reproduces_kiel_per_donor_and_overall(imported: tuple[str, Result]) -> None:
    url, _result = imported
    committed, offered = by_donor("total"), by_donor("commitments")
    rows = {r["member"]: r for r in report(url, "member")}
    assert set(rows) == set(committed)  # 42 donors, the EU among them
    assert len(rows) == 42 and "EUU" in rows and "EU" not in rows
    for iso, row in rows.items():
        assert abs(billions(row["committed_eur"]) - committed[iso]) <= TOLERANCE_BN, iso
        assert abs(billions(row["offered_eur"]) - offered[iso]) <= TOLERANCE_BN, iso
        assert Decimal(row["delivered_eur"]) == 0  # Kiel counts no deliveries
    [overall] = report(url, "")
    assert abs(billions(overall["committed_eur"]) - sum(committed.values())) <= TOLERANCE_BN
    assert abs(billions(overall["offered_eur"]) - sum(offered.values())) <= TOLERANCE_BN
    # The words: allocated 358.4 bn and committed 548.0 bn in total.
    assert round(billions(overall["committed_eur"]), 1) == Decimal("358.4")
    assert round(billions(overall["offered_eur"]), 1) == Decimal("548.0")


def test_the_import_says_what_breaks_the_rule(imported: tuple[str, Result]) -> None:
    """AUS, IRL and SVK: Kiel's commitments are below its allocations (the brief's figures)."""
    _url, result = imported
    said = " ".join(result.stderr.split())
    for donor, gap in (("AUS", "0.020429"), ("IRL", "0.1242"), ("SVK", "0.013707")):
        assert f"Kiel reports more allocated than committed for {donor}: {gap} bn" in said
    assert "Ukraine (UKR), Kiel's recipient, is seated as partner" in said
    assert "1,079 rows read" in said


def test_percent_of_gdp_is_kiels(imported: tuple[str, Result]) -> None:
    url, _result = imported
    pct = by_donor("pct_gdp")
    platform = open_test_platform(url, FixedClock(NOW))
    try:
        with platform.reading() as s:
            shared = guarantees.burden_sharing(s, SYSTEM)
            gdp = {d.code: d.gdp_eur_bn for d in s.scalars(select(Delegation))}
    finally:
        platform.engine.dispose()
    rows = {r.member: r for r in shared.rows}
    assert shared.gdp_source == (
        "Kiel Institute, Ukraine Support Tracker, Release 29 (04/2026), column gdp"
    )
    assert gdp["AUS"] == "1312.77115526256"  # as Kiel wrote it
    assert gdp["EUU"] is None and rows["EUU"].committed_pct_gdp is None  # Kiel's 0: no GDP
    for iso, expected in pct.items():
        if iso == "EUU":
            continue
        share = rows[iso].committed_share_of_gdp
        assert share is not None and abs(share - expected) <= Decimal("1e-9"), iso


def test_entries_point_to_the_line_whose_value_they_carry(imported: tuple[str, Result]) -> None:
    url, _result = imported
    lines = EXPLORER.read_text(encoding="utf-8").splitlines()
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            found = c.execute(
                select(
                    LedgerEntry.measure,
                    LedgerEntry.value_cents,
                    LedgerEntry.source_line,
                    LedgerEntry.occurred_on,
                    Offer.external_key,
                    ImportedFile.file_name,
                    ImportedFile.release,
                )
                .join(Offer, Offer.id == LedgerEntry.offer_id)
                .join(ImportedFile, ImportedFile.id == LedgerEntry.imported_file_id)
            ).all()
    finally:
        engine.dispose()
    assert len(found) > 3000
    for e in found:
        assert (e.file_name, e.release) == ("data_explorer.csv", "Kiel Release 29")
        [row] = csv.DictReader([lines[0], lines[e.source_line - 1]])
        _kiel, iso, column = e.external_key.split(":")
        assert code_of(row["iso"]) == iso
        assert (int(row["year"]), int(row["month"])) == (e.occurred_on.year, e.occurred_on.month)
        assert Decimal(row[column.replace("-", "_")]) * 10**11 == e.value_cents


def delegation_names(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return {
                code: name for code, name in c.execute(select(Delegation.code, Delegation.name))
            }
    finally:
        engine.dispose()


def test_into_the_demo_the_eu_stays_one_delegation_and_kiels_totals_add_up(
    demo_template: BuiltDemo, tmp_path: Path
) -> None:
    """Kiel's "EU (Commission and Council)" is the demo's contributor EUU, not a second EU;
    what the import adds to each delegation's totals is Kiel's, as on a blank database."""
    url = demo_template.copy(tmp_path)
    before, seated = {r["member"]: r for r in report(url, "member")}, delegation_names(url)
    assert seated["EUU"] == "European Union"
    result = shieldwall("import", "kiel", str(RELEASE), "--db", url)
    assert result.exit_code == 0, result.output
    after, now_seated = {r["member"]: r for r in report(url, "member")}, delegation_names(url)
    committed, offered = by_donor("total"), by_donor("commitments")
    assert "EU" not in now_seated and now_seated["EUU"] == "European Union"
    assert [c for c, n in now_seated.items() if n.startswith("EU") or "Union" in n] == ["EUU"]
    assert set(now_seated) - set(seated) == set(committed) - set(seated)  # only new donors

    def added(code: str, column: str) -> Decimal:
        return billions(after[code][column]) - billions(
            before[code][column] if code in before else "0"
        )

    for code in committed:
        assert abs(added(code, "committed_eur") - committed[code]) <= TOLERANCE_BN, code
        assert abs(added(code, "offered_eur") - offered[code]) <= TOLERANCE_BN, code
    assert set(after) == set(before) | set(committed)


def test_a_second_import_is_a_no_op(imported: tuple[str, Result]) -> None:
    url, _result = imported
    before = counts(url)
    again = shieldwall("import", "kiel", str(RELEASE), "--db", url)
    assert again.exit_code == 0, again.output
    assert "1,079 rows read, 0 applied, 1,079 already there" in " ".join(again.stderr.split())
    assert counts(url) == before


def test_a_reported_figure_allows_no_lifecycle_step(imported: tuple[str, Result]) -> None:
    url, _result = imported
    platform = open_test_platform(url, FixedClock(NOW))
    try:
        with platform.reading() as s:
            offer = s.scalar(select(Offer.id).where(Offer.external_key == "kiel:AUS:military"))
        assert offer is not None
        for step in (
            lambda: platform.assistance.accept(SYSTEM, offer),
            lambda: platform.assistance.commit(SYSTEM, offer),
            lambda: platform.assistance.cancel(SYSTEM, offer, "no"),
            lambda: platform.assistance.record_delivery(SYSTEM, offer, quantity=1),
            lambda: platform.assistance.correct(
                SYSTEM, offer, measure="offered", quantity_delta=0, value_delta_cents=1, reason="x"
            ),
        ):
            with pytest.raises(IllegalTransition, match="it is reported"):
                step()
    finally:
        platform.engine.dispose()


def test_a_dry_run_changes_nothing(tmp_path: Path) -> None:
    url = blank_sqlite(tmp_path)
    before = counts(url)
    result = shieldwall("import", "kiel", str(RELEASE), "--dry-run", "--db", url)
    assert result.exit_code == 0, result.output
    assert "1,079 rows read, 1,072 would apply" in " ".join(result.stderr.split())
    assert counts(url) == before == (0, 0, 0, 0)


# ---- a newer release, and bad files: small copies of the release ---------------------------


def release_copy(directory: Path, lines: list[str], number: str = "29") -> Path:
    folder = directory / f"r{number}"
    folder.mkdir()
    (folder / "data_explorer.csv").write_text("".join(lines), encoding="utf-8")
    info = (RELEASE / "release_info.csv").read_text(encoding="utf-8")
    (folder / "release_info.csv").write_text(
        info.replace('"29"', f'"{number}"').replace("Release 29", f"Release {number}"),
        encoding="utf-8",
    )
    return folder


def with_value(line: str, column: str, value: str) -> str:
    """The line with ``column`` set to ``value`` (Germany's lines have no quoted commas)."""
    fields = line.rstrip("\n").split(",")
    fields[EXPLORER.read_text(encoding="utf-8").split("\n")[0].split(",").index(f'"{column}"')] = (
        value
    )
    return ",".join(fields) + "\n"


def germany() -> list[str]:
    """The header and Germany's first five months with military aid: a slice copied from
    the release for the tests that change it."""
    lines = EXPLORER.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [line for line in lines if ',"DEU",' in line]
    return [
        lines[0],
        *[r for r in rows if next(csv.DictReader([lines[0], r]))["military"] != "0"][:5],
    ]


def test_a_newer_release_corrects_what_changed(tmp_path: Path) -> None:
    """Release "30" changes Germany's first military figure and drops its fifth month: one
    correction for the difference, one back to 0; nothing else is written."""
    url = blank_sqlite(tmp_path)
    first = germany()
    assert (
        shieldwall("import", "kiel", str(release_copy(tmp_path, first)), "--db", url).exit_code == 0
    )
    row = next(csv.DictReader(first[:2]))
    changed = [first[0], with_value(first[1], "military", "1.5"), *first[2:5]]
    assert changed[1] != first[1]
    newer = release_copy(tmp_path, changed, "30")
    result = shieldwall("import", "kiel", str(newer), "--db", url)
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            corrections = c.execute(
                select(LedgerEntry.measure, LedgerEntry.value_cents, LedgerEntry.reason)
                .where(LedgerEntry.entry_type == "correction")
                .order_by(LedgerEntry.id)
            ).all()
    finally:
        engine.dispose()
    month = f"{int(row['year'])}-{int(row['month']):02d}-01"
    old = Decimal(row["military"]) * 10**11
    delta = int(Decimal("1.5") * 10**11 - old)
    military = [c for c in corrections if "corrected from" in (c.reason or "")]
    assert [(c.measure, c.value_cents) for c in military] == [
        ("offered", delta),
        ("committed", delta),
    ]
    assert f"Kiel Release 30: offered on {month} corrected from" in military[0].reason
    assert "to 1,500,000,000.00" in military[0].reason
    gone = [c for c in corrections if "no longer reported" in (c.reason or "")]
    fifth = next(csv.DictReader([first[0], first[5]]))
    expected_gone = sum(
        1 for column in ("military", "financial", "humanitarian") if Decimal(fifth[column])
    ) * 2 + (1 if Decimal(fifth["to_be_allocated"]) else 0)
    assert len(gone) == expected_gone > 0


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ("missing column", "data_explorer.csv: missing columns: pct_gdp"),
        ("bad number", "data_explorer.csv line 3 military: 'lots' is not a number of EUR billion"),
        ("twice", "data_explorer.csv line 4: DEU 2022-"),
        ("not UTF-8", "data_explorer.csv: the file is not UTF-8 text"),
        ("empty", "data_explorer.csv: the file is empty"),
    ],
)
def test_a_bad_file_is_refused_whole(tmp_path: Path, defect: str, expected: str) -> None:
    lines = germany()
    if defect == "missing column":
        lines = [line.rsplit(",", 1)[0] + "\n" for line in lines]
    elif defect == "bad number":
        lines[2] = with_value(lines[2], "military", "lots")
    elif defect == "twice":
        lines[3] = lines[2]
    elif defect == "empty":
        lines = []
    folder = release_copy(tmp_path, lines)
    if defect == "not UTF-8":
        (folder / "data_explorer.csv").write_bytes(
            "".join(lines).encode() + "Türkiye".encode("latin-1")
        )
    url = blank_sqlite(tmp_path)
    result = shieldwall("import", "kiel", str(folder), "--db", url)
    assert result.exit_code == 1
    said = " ".join(result.stderr.split())
    assert expected in said and "nothing was imported" in said
    assert "Traceback" not in result.output
    assert counts(url) == (0, 0, 0, 0)


def test_the_release_folder_must_hold_the_files(tmp_path: Path) -> None:
    shutil.copy(RELEASE / "release_info.csv", tmp_path / "release_info.csv")
    result = shieldwall("import", "kiel", str(tmp_path), "--db", blank_sqlite(tmp_path))
    assert result.exit_code == 1
    assert "data_explorer.csv: no such file" in " ".join(result.stderr.split())
