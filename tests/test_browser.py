"""The pages in Debian's Chromium, driven by Playwright, on the demo data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shieldwall.app import create_app
from shieldwall.clock import FixedClock
from shieldwall.context import Context
from shieldwall.db import migrate
from shieldwall.demo import build_demo
from shieldwall.settings import Settings
from tests.liveserver import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    migrate(url)
    ctx = Context.from_url(url, FixedClock(dt.datetime(2023, 7, 12, tzinfo=dt.UTC)))
    build_demo(ctx, progress=False)
    ctx.engine.dispose()
    app = create_app(Settings(database_url=url))
    with LiveServer(app) as live:
        yield live.url
    app.state.context.engine.dispose()


def test_dashboard_follows_a_request_to_its_offers(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    expect(page).to_have_title(re.compile("Dashboard"))
    expect(page.locator("#total-committed")).to_contain_text("bn")
    # Plotly drew both charts from the locally served plotly.min.js.
    expect(page.locator("#coverage-chart .main-svg").first).to_be_visible()
    expect(page.locator("#members-chart .main-svg").first).to_be_visible()
    expect(page.locator("#members-table")).to_contain_text("DEU")

    page.get_by_role("link", name="Requests", exact=True).click()
    expect(page).to_have_url(re.compile(r"/requests$"))
    page.get_by_role("link", name="Patriot batteries for the defence of cities").click()
    expect(page.locator("h1")).to_contain_text("Patriot batteries")
    offers = page.locator("table.data tbody tr")
    expect(offers.first).to_be_visible()
    assert offers.count() >= 2
    expect(page.locator("table.data")).to_contain_text("DEU")

    offers.filter(has_text="DEU").first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/offers/\d+$"))
    expect(page.locator("h1")).to_contain_text("Germany")
    expect(page.locator("#timeline")).to_contain_text("offer.make")
    expect(page.locator("#timeline")).to_contain_text("offer.commit")
    page.get_by_role("link", name=re.compile("Patriot batteries")).click()
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))


def test_requests_filter_and_empty_state(page: Page, demo_url: str) -> None:
    page.goto(f"{demo_url}/requests?status=closed")
    expect(page.locator(".empty")).to_contain_text("No request is closed")
    page.get_by_role("link", name="Show all requests").click()
    expect(page.locator("#requests-table tbody tr").first).to_be_visible()


def test_empty_platform_says_what_to_do(page: Page, sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(database_url=sqlite_url))
    with LiveServer(app) as live:
        page.goto(live.url)
        expect(page.locator(".empty")).to_contain_text("shieldwall demo")
        page.goto(f"{live.url}/offers")
        expect(page.locator(".empty")).to_contain_text("No offer has been made yet")
        response = page.goto(f"{live.url}/offers/999")
        assert response is not None and response.status == 404
        expect(page.locator("#error")).to_contain_text("offer 999 does not exist")
        response = page.goto(f"{live.url}/no-such-page")
        assert response is not None and response.status == 404
        expect(page.locator("#error")).to_contain_text("nothing at /no-such-page")
    app.state.context.engine.dispose()
