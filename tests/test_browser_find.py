"""Finding things in Chromium, on the shipped demo: a member filters the offers to its own,
sorts them by value, downloads that view as XLSX and finds the same rows in the same order;
the three lists on a phone-sized screen are no wider than it, label every field, log no
console error and pass axe-core with no serious or critical violation."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from shieldwall.app import create_app
from shieldwall.demo import DEMO_PASSWORD
from shieldwall.kit.settings import Settings
from tests.conftest import BuiltDemo
from tests.liveserver import LiveServer
from tests.test_browser_council import PHONE, UNLABELLED, WIDER_THAN_SCREEN

pytestmark = pytest.mark.browser

AXE = Axe()
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def demo_url(demo_template: BuiltDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = demo_template.copy(tmp_path_factory.mktemp("demo"))
    app = create_app(Settings(database_url=url))
    with LiveServer(app) as live:
        yield live.url
    app.state.platform.engine.dispose()


def sign_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#whoami")).to_contain_text(username)


def shown_rows(page: Page) -> list[tuple[int, str]]:
    """Each offer row on the page: its id and its member as shown, in order."""
    rows = page.locator("#offers-table tbody tr")
    found: list[list[str]] = rows.evaluate_all(
        "rows => rows.map(r => [r.dataset.id, r.querySelector('td.member').textContent.trim()])"
    )
    return [(int(i), member) for i, member in found]


def test_a_member_finds_its_offers_by_value_and_downloads_them(page: Page, demo_url: str) -> None:
    sign_in(page, demo_url, "deu")
    page.get_by_role("link", name="Offers", exact=True).click()
    page.get_by_label("Member").select_option("DEU")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(f"{demo_url}/offers?member=DEU")
    everyone = {member for _id, member in shown_rows(page)}
    assert everyone == {"Germany (DEU)"}

    value = page.locator("#offers-table thead th", has_text="Value (EUR)")
    value.get_by_role("link").click()  # ascending first
    expect(value).to_have_attribute("aria-sort", "ascending")
    value.get_by_role("link").click()  # then descending
    expect(page).to_have_url(f"{demo_url}/offers?member=DEU&sort=-value")
    expect(value).to_have_attribute("aria-sort", "descending")
    expect(page.get_by_label("Member")).to_have_value("DEU")  # the form keeps the view
    rows = shown_rows(page)
    assert len(rows) >= 3
    # The values shown, largest first (their text is the page's; the order must hold).
    pager = page.locator(".pager-where")
    expect(pager).to_contain_text(f"Page 1 of 1 · {len(rows)} offers")

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX", exact=True).click()
    assert download.value.suggested_filename == "offers.xlsx"
    # Playwright keeps the file without its extension: openpyxl is given its bytes.
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    sheet = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    header, body = sheet[0], sheet[1:]
    assert header[:3] == ["Offer", "Member", "Member code"]
    value_at = header.index("Value (EUR)")
    assert [(r[0], f"{r[1]} ({r[2]})") for r in body] == rows
    values = [r[value_at] for r in body]
    assert all(isinstance(v, int | float) for v in values)
    assert values == sorted(values, reverse=True)


@pytest.mark.parametrize("username", ["deu", "ukr"])
def test_the_lists_fit_a_phone_and_pass_axe(browser: Browser, demo_url: str, username: str) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo_url, username)
    for path in ("/requests", "/offers?sort=-value", "/deliveries", "/offers?q=zzz-nothing"):
        page.goto(f"{demo_url}{path}")
        page.wait_for_load_state("load")
        assert errors == [], (path, errors)
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        assert page.evaluate(WIDER_THAN_SCREEN) == [], path
        audit = AXE.run(page)
        serious = [v for v in audit.response["violations"] if v.get("impact") in SERIOUS]
        assert serious == [], (path, audit.generate_report())
    context.close()
