"""The summaries the report pages and the API show, declared once as downloadable tables
(``kit.listing.SummaryTable``): each page offers its tables as CSV, XLSX and JSON with the
figures it shows, read by the same query and inside the same releasability, and the API's
summaries take ``format=csv|xlsx|json`` for the same files.

Amounts are in EUR (numbers, not text, to the cent: ``Column.euros``); a share is a fraction
(0.25 for the 25 % shown) unless its label ends in "%" (per cent, 25.0); a member is named by
its code as the pages show it.
"""

from __future__ import annotations

from typing import Any

from shieldwall.assistance.listings import ledger_summary_table
from shieldwall.guarantees.model import share_percent
from shieldwall.kit.amounts import exact_euros, to_cents
from shieldwall.kit.i18n import N_
from shieldwall.kit.listing import Column, SummaryTable

# ---- the dashboard and the public page -----------------------------------------------------


def _eur(key: str, label: str) -> Column:
    return Column(key, label, numeric=True, euros=True)


TOTALS = ledger_summary_table([], name="totals")
COVERAGE = SummaryTable(
    "coverage",
    (
        Column("area", N_("Code")),
        Column("name", N_("Area")),
        Column("requests", N_("Requests"), numeric=True),
        _eur("requested_eur", N_("Requested (EUR)")),
        _eur("committed_eur", N_("Committed (EUR)")),
        _eur("delivered_eur", N_("Delivered (EUR)")),
        Column("coverage", N_("Coverage"), numeric=True),
    ),
)
MEMBERS = SummaryTable(
    "members",
    (
        Column("member", N_("Member")),
        _eur("offered_eur", N_("Offered (EUR)")),
        _eur("committed_eur", N_("Committed (EUR)")),
        _eur("delivered_eur", N_("Delivered (EUR)")),
        _eur("gap_eur", N_("Gap (EUR)")),
        Column("delivered_share", N_("Delivered share, %"), numeric=True),
    ),
)
DASHBOARD = (TOTALS, COVERAGE, MEMBERS)
PUBLIC_MEMBERS = SummaryTable(
    "members",
    (
        Column("member", N_("Member")),
        _eur("committed_eur", N_("Committed (EUR)")),
        _eur("delivered_eur", N_("Delivered (EUR)")),
        Column("delivered_share", N_("Delivered share, %"), numeric=True),
    ),
)
PUBLIC = (TOTALS, PUBLIC_MEMBERS)


def member_shares(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The members of ``queries.member_gaps`` as the dashboard and the public page show and
    download them: each one's delivered share of its committed in per cent, to one decimal,
    as burden-sharing gives its shares (``share_percent``)."""
    return [
        {
            **r,
            "delivered_share": share_percent(
                _cents(r["delivered_eur"]), _cents(r["committed_eur"])
            ),
        }
        for r in rows
    ]


def _cents(euros: float) -> int:
    cents = to_cents(exact_euros(euros))
    assert cents is not None
    return cents


# ---- compliance (burden-sharing: guarantees.summaries) ---------------------------------------

_COMPLIANCE = (
    _eur("promised_eur", N_("Promised (EUR)")),
    Column("promised_as_stated", N_("Promised (as stated)")),
    _eur("committed_eur", N_("Committed (EUR)")),
    _eur("delivered_eur", N_("Delivered (EUR)")),
    Column("percent_fulfilled", N_("Fulfilled, %"), numeric=True),
    Column("met", N_("Met"), numeric=True),
    Column("overdue", N_("Overdue"), numeric=True),
    Column("met_late", N_("Met late"), numeric=True),
    Column("open", N_("Open"), numeric=True),
)
COMPLIANCE_MEMBERS = SummaryTable(
    "compliance-members",
    (
        Column("member", N_("Member")),
        Column("instruments", N_("Instruments"), numeric=True),
        *_COMPLIANCE,
    ),
)
COMPLIANCE_INSTRUMENTS = SummaryTable(
    "compliance",
    (
        Column("member", N_("Member")),
        Column("instrument_id", N_("Instrument number"), numeric=True),
        Column("instrument", N_("Instrument")),
        Column("year", N_("Year"), numeric=True),
        *_COMPLIANCE,
    ),
)
COMPLIANCE = (COMPLIANCE_MEMBERS, COMPLIANCE_INSTRUMENTS)
