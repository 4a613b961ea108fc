"""The audit, dashboard, public, burden-sharing, compliance and notifications pages in
Debian's Chromium on the demo, on a 390 px phone: no console error, every field labelled,
nothing in the page's content wider than the screen (wide tables scroll in their own box),
and no serious or critical axe-core finding in the content; the audit page reads as words
with its stored record one click away; a page in French."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, ViewportSize, expect

from shieldwall.app import create_app
from shieldwall.demo import DEMO_PASSWORD
from shieldwall.kit.settings import Settings
from tests.conftest import BuiltDemo
from tests.liveserver import LiveServer

pytestmark = pytest.mark.browser

AXE = Axe()
PHONE: ViewportSize = {"width": 390, "height": 844}
UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""
# The content's elements only: the frame (navigation, footer) is another part's.
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter(el => !el.closest('.scroll'))
  .map(el => el.tagName + (el.id ? '#' + el.id : ''))"""


@pytest.fixture(scope="module")
def demo_url(demo_template: BuiltDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = demo_template.copy(tmp_path_factory.mktemp("demo"))
    app = create_app(Settings(database_url=url))
    with LiveServer(app) as live:
        yield live.url
    app.state.platform.engine.dispose()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


def _sign_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#whoami")).to_contain_text(username)


def _check(page: Page, url: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_load_state("load")
    assert errors == [], (url, errors)
    assert page.evaluate(UNLABELLED) == [], url
    assert page.evaluate(WIDER_THAN_SCREEN) == [], url
    found = AXE.run(page, context="main")
    grave = [
        (v["id"], [n["target"] for n in v["nodes"]])
        for v in found.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert grave == [], (url, grave)


def test_my_pages_on_a_phone(phone: Page, demo_url: str) -> None:
    _sign_in(phone, demo_url, "sec")
    for path in ("/audit", "/audit?record_type=offer&action=offer.commit", "/"):
        _check(phone, demo_url + path)
    _sign_in(phone, demo_url, "ukr")
    for path in ("/", "/burden-sharing", "/compliance", "/notifications", "/public"):
        _check(phone, demo_url + path)


def test_the_audit_history_reads_as_words_and_keeps_the_raw_record(
    phone: Page, demo_url: str
) -> None:
    _sign_in(phone, demo_url, "sec")
    phone.goto(f"{demo_url}/audit?record_type=offer&action=offer.commit")
    first = phone.locator("#audit-history tbody tr").first
    expect(first.locator(".what")).to_contain_text(re.compile(r"\) committed offer #\d+ \("))
    expect(first.locator("ul.changes")).to_contain_text(re.compile(r"Committed: 0 \w+ → "))
    stored = first.locator("details pre").first
    expect(stored).not_to_be_visible()
    first.locator("details summary").click()
    expect(first.locator("details")).to_contain_text('"committed":[')
    # The day range and the other filters are labelled fields.
    expect(phone.get_by_label("From (day)")).to_be_visible()
    expect(phone.get_by_label("To (day, included)")).to_be_visible()


def test_the_audit_page_in_french(phone: Page, demo_url: str) -> None:
    _sign_in(phone, demo_url, "sec")
    phone.context.set_extra_http_headers({"Accept-Language": "fr"})
    phone.goto(f"{demo_url}/audit?action=offer.commit")
    expect(phone).to_have_title(re.compile("Journal d'audit"))
    expect(phone.locator("#audit-history .what").first).to_contain_text("a engagé l'offre n°")


# The whole page, text included: a figure that will not wrap (nowrap) runs out of its card
# without making any element wider, so only the document's own width shows it.
PAGE_WIDER_THAN_SCREEN = """() =>
  document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"""


@pytest.mark.parametrize("language", ["en", "fr", "uk"])
def test_the_cards_figures_fit_a_phone_in_every_language(
    phone: Page, demo_url: str, language: str
) -> None:
    # Ukrainian writes the dashboard's committed total as "21,45 млрд EUR": wider than a
    # half-width card at 390 px, it pushed the whole page sideways.
    _sign_in(phone, demo_url, "ukr")
    phone.context.set_extra_http_headers({"Accept-Language": language})
    for path in ("/", "/burden-sharing", "/public"):
        phone.goto(demo_url + path)
        assert phone.evaluate(PAGE_WIDER_THAN_SCREEN) is False, (language, path)
