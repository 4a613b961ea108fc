"""Compliance: per instrument and year, what was promised (in EUR and in the currency the text
states), committed and delivered toward it (from the ledger, ``guarantees.queries.fulfilment``)
and how its obligations stand — met, overdue, open (``obligations.queries.due_counts``); and
per member over all its instruments. Read through the features' queries, inside the reader's
releasability: a total never counts what its reader may not see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from babel import Locale, numbers
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, PageActor, Reader
from shieldwall.guarantees.model import percent_fulfilled
from shieldwall.guarantees.queries import fulfilment, promise_figures
from shieldwall.guarantees.summaries import fulfilment_row
from shieldwall.kit.i18n import current_locale
from shieldwall.kit.listing import DOWNLOAD_RESPONSES, DownloadFormat, summary_download
from shieldwall.kit.params import RecordIdFilter
from shieldwall.kit.problems import problem_responses
from shieldwall.kit.templating import TEMPLATES
from shieldwall.obligations.queries import due_counts, instrument_titles, member_filter_id
from shieldwall.reports import charts, summaries
from shieldwall.reports.schemas import ComplianceMemberOut, ComplianceRowOut

router = APIRouter()
FIRST_YEAR = 2022  # the year filter offers each year since the first agreements' figures


def stated(minor: int, currency: str) -> str:
    """An amount as the instrument states it, in its currency, whole units, in the viewer's
    language ("£2,500,000,000", "2 500 000 000 £GB")."""
    locale = current_locale()
    pattern = str(Locale.parse(locale).currency_formats["standard"].pattern)
    whole = pattern.split(";")[0].replace(".00", "")
    return numbers.format_currency(
        minor // 100, currency, locale=locale, currency_digits=False, format=whole
    )


@dataclass
class Compliance:
    """One instrument's year, or (``instrument_id`` None) one member's sum over its
    instruments."""

    member: str
    year: int | None = None
    instrument_id: int | None = None
    instrument: str = ""
    instruments: int = 0
    promised_eur_cents: int = 0
    promised_by_currency: dict[str, int] = field(default_factory=dict)
    committed_eur_cents: int = 0
    delivered_eur_cents: int = 0
    met: int = 0
    overdue: int = 0
    met_late: int = 0
    open: int = 0

    @property
    def percent_fulfilled(self) -> float | None:
        return percent_fulfilled(self.delivered_eur_cents, self.promised_eur_cents)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "percent_fulfilled": self.percent_fulfilled}

    def as_api(self) -> dict[str, Any]:
        """As the API answers it: in EUR, as every summary (``promise_figures``)."""
        counts = ("member", "year", "instrument_id", "instrument", "instruments")
        return {
            **{k: getattr(self, k) for k in counts},
            **promise_figures(self),
            **{k: getattr(self, k) for k in ("met", "overdue", "met_late", "open")},
        }


def by_instrument_and_year(
    session: Session,
    reader: Actor,
    *,
    member: str | None = None,
    instrument_id: int | None = None,
    year: int | None = None,
) -> list[Compliance]:
    """Per readable instrument and year: promised, committed, delivered, % fulfilled, and its
    obligations met, overdue and open."""
    member_id = member_filter_id(session, member)
    rows: dict[tuple[int, int], Compliance] = {}
    for f in fulfilment(session, reader, instrument_id=instrument_id, member_id=member_id):
        if year is None or f.year == year:
            rows[(f.instrument_id, f.year)] = Compliance(
                f.member,
                f.year,
                f.instrument_id,
                promised_eur_cents=f.promised_eur_cents,
                promised_by_currency=dict(f.promised_by_currency),
                committed_eur_cents=f.committed_eur_cents,
                delivered_eur_cents=f.delivered_eur_cents,
            )
    counts = due_counts(
        session, reader, instrument_id=instrument_id, member_id=member_id, year=year
    )
    for c in counts:
        row = rows.setdefault(
            (c.instrument_id, c.year), Compliance(c.member, c.year, c.instrument_id)
        )
        row.met, row.overdue, row.met_late, row.open = c.met, c.overdue, c.met_late, c.open
    titles = instrument_titles(session, reader, {i for i, _y in rows})
    for (i, _y), row in rows.items():
        row.instrument = titles.get(i, "")
    return sorted(rows.values(), key=lambda r: (r.member, r.instrument, r.instrument_id, r.year))


def by_member(rows: Iterable[Compliance]) -> list[Compliance]:
    """Each member's sums over all its instruments (and the years given)."""
    members: dict[str, Compliance] = {}
    seen: dict[str, set[int]] = {}
    for r in rows:
        m = members.setdefault(r.member, Compliance(r.member))
        seen.setdefault(r.member, set()).add(r.instrument_id or 0)
        m.promised_eur_cents += r.promised_eur_cents
        for currency, minor in r.promised_by_currency.items():
            m.promised_by_currency[currency] = m.promised_by_currency.get(currency, 0) + minor
        m.committed_eur_cents += r.committed_eur_cents
        m.delivered_eur_cents += r.delivered_eur_cents
        m.met, m.overdue = m.met + r.met, m.overdue + r.overdue
        m.met_late, m.open = m.met_late + r.met_late, m.open + r.open
    for code, m in members.items():
        m.instruments = len(seen[code])
    return sorted(members.values(), key=lambda m: m.member)


Year = Annotated[int | None, Query(ge=1900, le=2199, description="Only this year")]
Member = Annotated[str | None, Query(max_length=80, description="A member's code, e.g. DEU")]


@router.get(
    "/api/v1/compliance",
    response_model=list[ComplianceRowOut],
    tags=["compliance"],
    responses={**problem_responses(), **DOWNLOAD_RESPONSES},
)
def compliance_api(
    ctx: Ctx,
    who: Reader,
    member: Member = None,
    instrument_id: RecordIdFilter = None,
    year: Year = None,
    format: DownloadFormat = None,
) -> object:
    """Per instrument and year: promised (EUR, and per currency as the text states it),
    committed and delivered (EUR), % fulfilled, obligations met, overdue and open;
    ``format=csv|xlsx|json`` gives them as a file."""
    with ctx.reading() as s:
        rows = by_instrument_and_year(s, who, member=member, instrument_id=instrument_id, year=year)
    found = [r.as_api() for r in rows]
    if format is not None:
        shaped = [fulfilment_row(r) for r in found]
        return summaries.COMPLIANCE_INSTRUMENTS.download(shaped, format)
    return found


@router.get(
    "/api/v1/compliance/members",
    response_model=list[ComplianceMemberOut],
    tags=["compliance"],
    responses={**problem_responses(), **DOWNLOAD_RESPONSES},
)
def compliance_members_api(
    ctx: Ctx,
    who: Reader,
    year: Year = None,
    format: DownloadFormat = None,
) -> object:
    """Per member over all its instruments (and every year, or the one given);
    ``format=csv|xlsx|json`` gives them as a file (in EUR)."""
    with ctx.reading() as s:
        rows = by_member(by_instrument_and_year(s, who, year=year))
    found = [r.as_api() for r in rows]
    if format is not None:
        shaped = [fulfilment_row(r) for r in found]
        return summaries.COMPLIANCE_MEMBERS.download(shaped, format)
    return found


@router.get("/compliance", response_class=HTMLResponse, include_in_schema=False)
def compliance_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    year: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The table per member beside its chart, then per instrument and year; a year typed
    that is not one (or outside the supported dates) shows every year.
    ``table=compliance-members|compliance`` with ``format`` downloads one table."""
    asked = summary_download(request.query_params, summaries.COMPLIANCE)
    shown = int(year) if year and year.isdigit() and 1900 <= int(year) <= 2199 else None
    with ctx.reading() as s:
        rows = by_instrument_and_year(s, who, year=shown)
    in_members = by_member(rows)
    members = [m.as_dict() for m in in_members]
    if asked is not None:
        table, fmt = asked
        found = in_members if table is summaries.COMPLIANCE_MEMBERS else rows
        return table.download([fulfilment_row(r.as_api()) for r in found], fmt)
    return TEMPLATES.TemplateResponse(
        request,
        "compliance.html",
        {
            "rows": [r.as_dict() for r in rows],
            "members": members,
            "year": shown,
            "members_chart": charts.promised_committed_delivered(members),
            "years": list(range(ctx.clock.now().year, FIRST_YEAR - 1, -1)),
            "pct": charts.percent_text,
            "stated": stated,
        },
    )
