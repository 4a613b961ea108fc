"""The guarantees' summaries as downloadable tables (``kit.listing.SummaryTable``):
burden-sharing (its page and ``GET /api/v1/burden-sharing?format=…``) and an instrument's
fulfilment per year (its page). Amounts in EUR, shares and % as the API gives them.
"""

from __future__ import annotations

from shieldwall.kit.i18n import N_
from shieldwall.kit.listing import Column, SummaryTable

BURDEN = SummaryTable(
    "burden-sharing",
    (
        Column("member", N_("Member")),
        Column("name", N_("Name")),
        Column("kind", N_("Kind")),
        Column("committed_eur", N_("Committed (EUR)"), numeric=True, euros=True),
        Column("committed_share", N_("Share of the committed, %"), numeric=True),
        Column("delivered_eur", N_("Delivered (EUR)"), numeric=True, euros=True),
        Column("delivered_share", N_("Share of the delivered, %"), numeric=True),
        Column("gdp_eur_billion", N_("GDP (EUR billion)"), numeric=True),
        Column("committed_pct_gdp", N_("Committed, per cent of GDP"), numeric=True),
        Column("delivered_pct_gdp", N_("Delivered, per cent of GDP"), numeric=True),
        Column("promised_eur", N_("Promised (EUR)"), numeric=True, euros=True),
        Column("delivered_of_promised", N_("Delivered of promised, %"), numeric=True),
    ),
)

FULFILMENT = SummaryTable(
    "fulfilment",
    (
        Column("year", N_("Year"), numeric=True),
        Column("promised_eur", N_("Promised (EUR)"), numeric=True, euros=True),
        Column("promised_as_stated", N_("Promised (as stated)")),
        Column("committed_eur", N_("Committed (EUR)"), numeric=True, euros=True),
        Column("delivered_eur", N_("Delivered (EUR)"), numeric=True, euros=True),
        Column("percent_fulfilled", N_("Fulfilled, %"), numeric=True),
    ),
)


def fulfilment_row(row: dict[str, object]) -> dict[str, object]:
    """A year of ``queries.fulfilment_dict`` with its promise as the text states it."""
    promised = row["promised"]
    assert isinstance(promised, list)
    stated = "; ".join(f"{p['currency']} {p['amount']:.2f}" for p in promised)
    return {**row, "promised_as_stated": stated}
