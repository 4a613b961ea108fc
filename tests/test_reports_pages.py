"""Read at a glance (issue 10): the charts say what they show in their tables' words and
units, say when they show only the top N, and write their axes as the tables write amounts;
a delivery waiting on the dashboard names the member, the offer and the item. The expected
titles and figures are written out by hand."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from shieldwall.kit.i18n import using_locale
from shieldwall.reports import charts
from tests.conftest import NOW, actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser


def _members(n: int) -> list[dict[str, object]]:
    """``n`` members, the first committing €(n)M, the last €1M, each delivering half."""
    return [
        {
            "member": f"M{i:02d}",
            "offered_eur": 1_000_000.0 * (n - i),
            "committed_eur": 1_000_000.0 * (n - i),
            "delivered_eur": 500_000.0 * (n - i),
        }
        for i in range(n)
    ]


def test_a_chart_of_the_top_15_says_so_and_of_how_many() -> None:
    chart = charts.committed_and_delivered(_members(24))
    assert chart is not None
    assert chart.title == "The 15 members with most committed, of 24 (EUR)"
    figure = json.loads(chart.figure)
    assert [bar["name"] for bar in figure["data"]] == ["Committed", "Delivered"]
    assert figure["data"][0]["x"][0] == "M00" and len(figure["data"][0]["x"]) == 15


def test_a_chart_of_every_member_says_all() -> None:
    chart = charts.committed_and_delivered(_members(4))
    assert chart is not None and chart.title == "Committed and delivered, all 4 members (EUR)"


def test_axis_and_hover_write_euros_as_the_tables_do_in_each_language() -> None:
    chart = charts.committed_and_delivered(_members(4))  # the largest bar: €4M
    assert chart is not None
    axis = json.loads(chart.figure)["layout"]["yaxis"]
    assert axis["tickvals"] == [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]
    assert axis["ticktext"] == ["€0", "€1M", "€2M", "€3M", "€4M"]
    with using_locale("fr"):
        chart = charts.committed_and_delivered(_members(24))
        assert chart is not None
        figure = json.loads(chart.figure)
    assert chart.title == "Les 15 membres ayant le plus engagé, sur 24 (EUR)"
    assert [bar["name"] for bar in figure["data"]] == ["Engagé", "Livré"]
    ticks = [
        t.replace("\u202f", " ").replace("\xa0", " ") for t in figure["layout"]["yaxis"]["ticktext"]
    ]
    assert ticks[:3] == ["0 €", "5 M €", "10 M €"]
    with using_locale("uk"):
        chart = charts.committed_and_delivered(_members(24))
    assert chart is not None
    assert chart.title == "15 держав-членів із найбільшими зобов’язаннями, з 24 (EUR)"


def test_the_burden_chart_shows_shares_in_percent_and_says_when_it_is_the_top_20() -> None:
    rows = [
        {
            "member": f"M{i:02d}",
            "committed_eur": 25 - i,
            "delivered_eur": 25 - i,
            "committed_share": 4.0,
            "delivered_share": 4.0,
            "committed_pct_gdp": 0.25,
            "delivered_pct_gdp": None,
        }
        for i in range(25)
    ]
    chart = charts.burden_shares(rows)
    assert chart is not None
    assert chart.title == (
        "Shares of everything committed and delivered: the 20 donors with most committed, of 25 (%)"
    )
    figure = json.loads(chart.figure)
    assert figure["layout"]["xaxis"]["ticktext"][:2] == ["0%", "1%"]
    assert figure["data"][0]["customdata"][0] == ("4% of everything committed; 0.25% of GDP")
    assert figure["data"][1]["customdata"][0] == "4% of everything delivered; — of GDP"


def test_a_share_in_per_cent_is_written_as_rounded() -> None:
    # 24.6 / 100 as a float is 0.24600000000000002: the burden page wrote "24.600000000000002%".
    assert charts.percent_text(24.6) == "24.6%"
    assert charts.percent_text(0.07000000000000001, 2) == "0.07%"
    with using_locale("fr"):
        assert charts.percent_text(2.7999999999999997) == "2,8\xa0%"


def _text(page: str) -> str:
    page = re.sub(r"<(script|style|select).*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_a_delivery_to_confirm_names_the_member_the_offer_and_the_item(
    seeded: Context, server: LiveServer
) -> None:
    """Germany offers 500 155mm rounds; Ukraine accepts, Germany commits and records 200
    delivered on 2024-04-01: Ukraine's dashboard names them, not "Offer 1: 200 delivered"."""
    deu, ukr = actor(seeded, "deu"), actor(seeded, "ukr")
    offer: int = seeded.assistance.make_offer(
        deu, member="DEU", kind="arm", item="155mm-round", quantity=500
    )
    seeded.assistance.accept(ukr, offer)
    seeded.assistance.commit(deu, offer)
    seeded.assistance.record_delivery(
        deu, offer, quantity=200, delivered_on=NOW.date() - dt.timedelta(days=1)
    )
    page = Browser(server, "ukr").get("/")
    assert page.status_code == 200
    shown = _text(page.text)
    assert (
        f"Germany: offer #{offer} of 155mm round, 500 rounds — 200 delivered on 2024-04-01, "
        "to confirm" in shown
    )
    assert f"Offer {offer}: 200" not in shown
    # Each chart is described by its table, and says what it shows.
    assert 'aria-describedby="members-table"' in page.text
    assert "Committed and delivered, all 1 members (EUR)" not in shown
    assert "Committed and delivered, the 1 member (EUR)" in shown
    assert "Pledged" not in shown
    french = _text(Browser(server, "ukr").client.get("/", headers={"Accept-Language": "fr"}).text)
    assert "Vous attend maintenant" in french and "Livraisons en attente de confirmation" in french
