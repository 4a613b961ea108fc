"""The envelope in Debian's Chromium, driven by Playwright, on a phone-sized screen (390 px):
the envelope page shows readiness rise once the partner confirms a delivery of air-defence
crew training on the offer page; the chart renders from the app's own plotly.min.js with no
request leaving 127.0.0.1; a member plans a tranche and the secretariat sees what a slip of it
would do. On every envelope page: no console error, nothing wider than the screen, every field
labelled, and axe-core finds no violation.

The scene, on 2 April 2024: a Patriot battery package (air defence), two batteries needed,
each needing one Patriot system (equip), 10 PAC-3 interceptors a month (arm, over a 3-month
window) and 3 trained crews (train). Delivered and confirmed: 2 systems (100%), 48
interceptors on 15 March (48 of 60: 80%), 3 crews (3 of 6: 50%); 3 more crews recorded,
awaiting the partner's confirmation. Readiness: 50%, limited by the crews. Once confirmed:
crews 6 of 6, readiness 80%, limited by the interceptors."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from shieldwall.envelope.service import ComponentIn
from tests.conftest import SETUP, actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_browser_council import Journey
from tests.test_browser_pages import follow_nav
from tests.test_envelope import committed, delivered

pytestmark = pytest.mark.browser


class EnvelopeJourney(Journey):
    """The council's journey (phone-sized, console errors, labels, width, axe-core), also
    recording the host of every request the pages make."""

    def __init__(self, browser: Browser, base: str) -> None:
        super().__init__(browser, base)
        self.hosts: set[str] = set()
        self.page.on("request", self._request)

    def _request(self, request: Request) -> None:
        self.hosts.add(urlparse(request.url).hostname or request.url)


@pytest.fixture
def journey(browser: Browser, server: LiveServer) -> Iterator[EnvelopeJourney]:
    walk = EnvelopeJourney(browser, server.url)
    yield walk
    walk.context.close()


def _scene(ctx: Context) -> dict[str, int]:
    a = ctx.assistance
    a.add_area(SETUP, "training", "Training")
    for code, name, area, unit in (
        ("pac-3-interceptor", "PAC-3 MSE interceptor", "air-defence", "missile"),
        ("air-defence-crew-training", "Air-defence crew training", "training", "crew"),
    ):
        a.add_item(
            SETUP,
            code=code,
            name=name,
            area=area,
            unit=unit,
            reference_unit_value_cents=1_000_000_00,
            price_date=dt.date(2023, 7, 1),
        )
    package = ctx.envelope.define_package(
        actor(ctx, "sec"),
        code="patriot-battery",
        name="Patriot battery",
        area="air-defence",
        units_needed=2,
        sustain_window_months=3,
        components=[
            ComponentIn("patriot", "equip", 1),
            ComponentIn("pac-3-interceptor", "arm", 10, per_month=True),
            ComponentIn("air-defence-crew-training", "train", 3),
        ],
    )
    systems = committed(ctx, "DEU", "patriot", 2)
    delivered(ctx, "DEU", systems, 2, dt.date(2024, 1, 10))
    missiles = committed(ctx, "USA", "pac-3-interceptor", 60)
    delivered(ctx, "USA", missiles, 48, dt.date(2024, 3, 15))
    crews = committed(ctx, "DEU", "air-defence-crew-training", 6)
    delivered(ctx, "DEU", crews, 3, dt.date(2024, 2, 1))
    a.record_delivery(actor(ctx, "deu"), crews, quantity=3, delivered_on=dt.date(2024, 3, 28))
    return {"package": package, "crews": crews, "missiles": missiles}


def _package_row(page: Page) -> str:
    return page.locator('#packages-table tr[data-package="patriot-battery"]').inner_text()


def _before(journey: EnvelopeJourney) -> None:
    page = journey.sign_in("ukr")
    follow_nav(page, "Envelope")
    expect(page).to_have_url(f"{journey.base}/envelope")
    expect(page.locator("#envelope-chart.js-plotly-plot")).to_have_count(1)
    expect(page.locator("#envelope-chart .main-svg").first).to_be_visible()
    journey.check()
    row = page.locator('#packages-table tr[data-package="patriot-battery"]')
    expect(row.locator(".readiness")).to_have_text("50%")
    expect(row.locator(".units")).to_have_text("1 of 2")
    expect(row.locator(".limiting")).to_have_text(
        "limited by trained crews (Air-defence crew training): 3 of 6 crews"
    )
    expect(page.locator('#areas-table tr[data-area="air-defence"] .readiness')).to_have_text("50%")
    expect(page.locator("#releasability-note")).to_contain_text("offers your delegation may see")
    # The partner sees the delivery that would raise readiness most: the 3 crews committed.
    expect(page.locator("#best-first")).to_contain_text("DEU: Air-defence crew training, 3 crews")
    expect(page.locator("#best-first")).to_contain_text("air defence readiness from 50% to 80%")


def _partner_confirms(journey: EnvelopeJourney, crews: int) -> None:
    page = journey.page
    page.goto(f"{journey.base}/offers/{crews}")
    page.get_by_role("button", name="Confirm receipt").click()
    page.get_by_role("button", name="Yes, confirm receipt").click()  # after reading what it does
    expect(page.locator("#done")).to_contain_text("Delivery confirmed.")
    assert journey.errors == [], journey.errors


def _after(journey: EnvelopeJourney, package: int) -> None:
    page = journey.page
    follow_nav(page, "Envelope")
    journey.check()
    row = page.locator('#packages-table tr[data-package="patriot-battery"]')
    expect(row.locator(".readiness")).to_have_text("80%")
    expect(row.locator(".units")).to_have_text("1 of 2")  # 48 // 30 = 1 battery's interceptors
    expect(row.locator(".limiting")).to_have_text(
        "limited by munitions (PAC-3 MSE interceptor): 48 of 60 missiles in the last 3 months"
    )
    expect(page.locator('#areas-table tr[data-area="air-defence"] .readiness')).to_have_text("80%")
    expect(page.locator("#envelope-chart.js-plotly-plot")).to_have_count(1)
    row.get_by_role("link", name="Patriot battery").click()
    expect(page).to_have_url(f"{journey.base}/capability-packages/{package}")
    expect(page.locator("#package-readiness")).to_contain_text("80%, 1 of 2 units ready")
    journey.check()


def _member_plans(journey: EnvelopeJourney, missiles: int) -> None:
    page = journey.sign_in("usa")
    page.goto(f"{journey.base}/planned-deliveries?offer={missiles}")
    journey.check()
    form = page.locator("#plan-form")
    form.get_by_label(re.compile("^Quantity")).fill("12")
    form.get_by_label(re.compile("^Expected on")).fill("2024-05-10")
    form.get_by_role("button", name="Plan the tranche").click()
    expect(page.locator("#done")).to_contain_text("Delivery tranche planned.")
    expect(page.locator("#tranches")).to_contain_text("2024-05-10")
    expect(page.locator("#tranches")).to_contain_text("due in 38 days")
    journey.check()
    # Re-planning is described and confirmed before anything changes.
    page.get_by_label(re.compile("^New quantity for tranche")).fill("12")
    page.get_by_label(re.compile("^Reason for tranche")).fill("confirmed by the factory")
    page.get_by_role("button", name="Re-plan").click()
    expect(page.locator("#confirm")).to_contain_text(
        "USA's tranche of 12 × PAC-3 MSE interceptor expected on 2024-05-10 will be expected "
        "as 12 on 2024-05-10, for this reason: “confirmed by the factory”."
    )
    journey.check()
    page.get_by_role("button", name="Yes, re-plan the tranche").click()
    expect(page.locator("#done")).to_contain_text("Delivery tranche re-planned.")
    journey.check()


def _secretariat_slips_it(journey: EnvelopeJourney) -> None:
    # On 1 June: interceptors after 1 March: 48 + 12 = 60 of 60: 100% (crews 6 of 6):
    # readiness 100%. If the 12 slip 2 months (to 10 July): 48 of 60: 80%.
    page = journey.sign_in("sec")
    page.goto(f"{journey.base}/envelope")
    form = page.locator("#what-if-form")
    form.get_by_label("Slips by (months)").fill("2")
    form.get_by_label("Readiness on").fill("2024-06-01")
    form.get_by_role("button", name="See what changes").click()
    expect(page.locator("#what-if")).to_contain_text(
        "slips 2 months (to 2024-07-10), air defence readiness on 2024-06-01 falls from 100% "
        "to 80%."
    )
    journey.check()
    # The other pages of the envelope, as the secretariat sees them.
    page.get_by_role("link", name="Define a capability package").click()
    expect(page.locator("#package-form")).to_be_visible()
    journey.check()
    page.goto(f"{journey.base}/planned-deliveries")
    expect(page.locator("#tranches")).to_contain_text("United States (USA)")
    expect(page.locator("#tranches")).to_contain_text("PAC-3 MSE interceptor")
    journey.check()
    # The list narrowed to one member, then read in Ukrainian.
    page.locator("#tranche-filters").get_by_label("Member", exact=True).select_option("USA")
    page.locator("#tranche-filters").get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/planned-deliveries\?.*\bmember=USA\b"))
    expect(page.locator("#tranches tbody tr")).to_have_count(1)
    journey.check()
    journey.context.set_extra_http_headers({"Accept-Language": "uk"})
    page.goto(f"{journey.base}/envelope")
    expect(page.locator("h1")).to_have_text("Сукупна спроможність стримування")
    expect(page.locator("#areas-heading")).to_have_text("Готовність за сферами спроможностей")
    expect(page.locator("#envelope-chart.js-plotly-plot")).to_have_count(1)
    journey.check()
    page.goto(f"{journey.base}/planned-deliveries")
    expect(page.locator("#tranches")).to_contain_text("строк через 38 днів")
    journey.check()


def test_readiness_rises_when_crew_training_is_confirmed(
    journey: EnvelopeJourney, seeded: Context
) -> None:
    scene = _scene(seeded)
    _before(journey)
    _partner_confirms(journey, scene["crews"])
    _after(journey, scene["package"])
    _member_plans(journey, scene["missiles"])
    _secretariat_slips_it(journey)
    assert journey.hosts == {"127.0.0.1"}, journey.hosts
