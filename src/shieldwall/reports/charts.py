"""Plotly figures for the pages, as JSON that the page hands to plotly.min.js.

Each chart says in its title what it shows, in the words and units of the table beside it
(the chart's text alternative, named by ``aria-describedby``), and says so when it shows only
the top N. Its axis is labelled by the same Babel formats as the tables (``format_eur``,
``format_percent``) through explicit ticks, and its hover text too, so that a chart never
writes "5B" beside a table that writes "€2.9B" or "2,9 Md €". Every word is in the viewer's
language.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import plotly.io as pio
from babel import numbers

from shieldwall.kit.i18n import current_locale, format_eur, gettext, ngettext

_ = gettext

LAYOUT: dict[str, Any] = {
    "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    "height": 360,
    "legend": {"orientation": "h", "y": -0.15},
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
}
REQUESTED, COMMITTED, DELIVERED, PROMISED = "#8a94a6", "#2f6690", "#3a7d44", "#c8ced6"


@dataclass(frozen=True)
class Chart:
    """A figure and its title: the page writes the title in the chart's caption, which a
    narrow screen wraps (a title drawn inside the figure would not wrap), and names the chart
    by it (its accessible name)."""

    title: str
    figure: str  # Plotly's JSON


@functools.cache
def _template() -> dict[str, Any]:
    """Plotly's default template, as ``Figure.to_json`` writes it into every figure."""
    template: dict[str, Any] = pio.templates[pio.templates.default].to_plotly_json()
    return template


def _bar(name: str, colour: str, **properties: Any) -> dict[str, Any]:
    """One trace of bars, as ``go.Bar(name=…, marker_color=…, …)`` writes it."""
    return {"type": "bar", "name": name, "marker": {"color": colour}, **properties}


def _figure(bars: list[dict[str, Any]], **layout: Any) -> str:
    """Plotly's JSON of a figure of ``bars``, the same as ``go.Figure(…).to_json()``: written
    from plain dicts, because Plotly's figure objects validate every property on the way in
    and again on the way out, which took 40 ms of every dashboard (benchmarks/api_load.py)."""
    return str(
        pio.json.to_json_plotly({"data": bars, "layout": {"template": _template(), **layout}})
    )


def nice_ticks(largest: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to past ``largest``: steps of 1, 2, 2.5 or 5 × 10ⁿ."""
    if largest <= 0:
        return [0.0]
    raw = largest / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(largest / step) + 1)]


def _axis(values: Sequence[float], write: Callable[[float], str]) -> dict[str, Any]:
    ticks = nice_ticks(max(values, default=0))
    return {"tickmode": "array", "tickvals": ticks, "ticktext": [write(t) for t in ticks]}


def percent_text(value: float | None, digits: int = 1) -> str:
    """A percentage given as a number of percent (12.34 → "12.3%", "12,3 %" in French),
    with up to ``digits`` decimals: the tables and the charts write shares with this."""
    if value is None:
        return "—"
    # Through the decimal of the rounded figure: 24.6 / 100 as a float writes "24.600000000000002%".
    fraction = Decimal(str(round(value, digits))) / 100
    return numbers.format_percent(fraction, locale=current_locale(), decimal_quantization=False)


def _top(shown: int, of: int) -> str:
    """The title of a chart of the members with most committed: whether it shows them all."""
    if shown == of:
        return ngettext(
            "Committed and delivered, the {num} member (EUR)",
            "Committed and delivered, all {num} members (EUR)",
            of,
        ).format(num=of)
    return ngettext(
        "The {num} member with most committed, of {total} (EUR)",
        "The {num} members with most committed, of {total} (EUR)",
        shown,
    ).format(num=shown, total=of)


def coverage_by_area(rows: list[dict[str, Any]]) -> Chart | None:
    """Per capability area, what active requests ask for against what is committed and
    delivered toward them (EUR), as the coverage table beside it."""
    rows = [r for r in rows if r["requested_eur"]]
    if not rows:
        return None
    names = [r["name"] for r in rows]
    bars = (
        (_("Requested"), "requested_eur", REQUESTED),
        (_("Committed"), "committed_eur", COMMITTED),
        (_("Delivered"), "delivered_eur", DELIVERED),
    )
    traces = [
        _bar(
            name,
            colour,
            y=names,
            x=[r[key] for r in rows],
            orientation="h",
            customdata=[format_eur(r[key]) for r in rows],
            hovertemplate="%{y}: %{customdata}<extra>" + name + "</extra>",
        )
        for name, key, colour in bars
    ]
    title = _("Requested, committed and delivered, by capability area (EUR)")
    largest = [r[key] for r in rows for _n, key, _c in bars]
    figure = _figure(
        traces,
        barmode="group",
        xaxis=_axis(largest, format_eur),
        yaxis={"automargin": True},
        **LAYOUT,
    )
    return Chart(title, figure)


def committed_and_delivered(rows: list[dict[str, Any]], top: int = 15) -> Chart | None:
    """The members with most committed (``rows`` as ``member_gaps`` gives them), committed
    beside delivered (EUR): the same figures as the members' table."""
    counted = [r for r in rows if r["committed_eur"] or r["offered_eur"]]
    shown = sorted(counted, key=lambda r: -r["committed_eur"])[:top]
    if not shown:
        return None
    members = [r["member"] for r in shown]
    bars = (
        (_("Committed"), "committed_eur", COMMITTED),
        (_("Delivered"), "delivered_eur", DELIVERED),
    )
    traces = [
        _bar(
            name,
            colour,
            x=members,
            y=[r[key] for r in shown],
            customdata=[format_eur(r[key]) for r in shown],
            hovertemplate="%{x}: %{customdata}<extra>" + name + "</extra>",
        )
        for name, key, colour in bars
    ]
    title = _top(len(shown), len(counted))
    largest = [r[key] for r in shown for _n, key, _c in bars]
    figure = _figure(traces, barmode="group", yaxis=_axis(largest, format_eur), **LAYOUT)
    return Chart(title, figure)


def burden_shares(rows: list[dict[str, Any]], top: int = 20) -> Chart | None:
    """Each member's share of everything committed and of everything delivered (%), with its
    % of GDP in the hover text ("—" where there is no GDP, as for the EU)."""
    counted = [r for r in rows if r["committed_eur"] or r["delivered_eur"]]
    shown = counted[:top]
    if not shown:
        return None
    members = [r["member"] for r in shown][::-1]  # the largest at the top

    def bar(name: str, share: str, pct: str, colour: str) -> dict[str, Any]:
        ordered = shown[::-1]
        return _bar(
            name,
            colour,
            y=members,
            x=[r[share] or 0 for r in ordered],
            orientation="h",
            customdata=[
                _("{share} of everything {measure}; {gdp} of GDP").format(
                    share=percent_text(r[share]), measure=name.lower(), gdp=percent_text(r[pct], 2)
                )
                for r in ordered
            ],
            hovertemplate="%{y}: %{customdata}<extra></extra>",
        )

    traces = [
        bar(_("Committed"), "committed_share", "committed_pct_gdp", COMMITTED),
        bar(_("Delivered"), "delivered_share", "delivered_pct_gdp", DELIVERED),
    ]
    if len(shown) == len(counted):
        title = _("Each donor's share of everything committed and delivered (%)")
    else:
        title = ngettext(
            "Shares of everything committed and delivered: the {num} donor with most "
            "committed, of {total} (%)",
            "Shares of everything committed and delivered: the {num} donors with most "
            "committed, of {total} (%)",
            len(shown),
        ).format(num=len(shown), total=len(counted))
    shares = [float(r[k] or 0) for r in shown for k in ("committed_share", "delivered_share")]
    layout = {**LAYOUT, "height": max(260, 80 + 36 * len(shown))}
    figure = _figure(
        traces,
        barmode="group",
        xaxis=_axis(shares, percent_text),
        yaxis={"automargin": True},
        **layout,
    )
    return Chart(title, figure)


def promised_committed_delivered(rows: list[dict[str, Any]]) -> Chart | None:
    """Per member, what its instruments promised beside what it committed and delivered
    toward them (EUR; ``rows`` in cents, as the compliance report gives them)."""
    rows = [
        r
        for r in rows
        if r["promised_eur_cents"] or r["committed_eur_cents"] or r["delivered_eur_cents"]
    ]
    if not rows:
        return None
    members = [r["member"] for r in rows]
    bars = (
        (_("Promised"), "promised_eur_cents", PROMISED),
        (_("Committed"), "committed_eur_cents", COMMITTED),
        (_("Delivered"), "delivered_eur_cents", DELIVERED),
    )
    traces = [
        _bar(
            name,
            colour,
            x=members,
            y=[r[key] / 100 for r in rows],
            customdata=[format_eur(r[key] / 100) for r in rows],
            hovertemplate="%{x}: %{customdata}<extra>" + name + "</extra>",
        )
        for name, key, colour in bars
    ]
    title = _("Promised, committed and delivered, by member (EUR)")
    largest = [r[key] / 100 for r in rows for _n, key, _c in bars]
    figure = _figure(traces, barmode="group", yaxis=_axis(largest, format_eur), **LAYOUT)
    return Chart(title, figure)
