"""Every page of the app, in Debian's Chromium, on the shipped demo: for the partner (``ukr``),
a member (``deu``), the chair (``sec``) and a visitor who is not signed in, at 1366 px and at
390 px. On each: the page answers, no console error, no request leaves 127.0.0.1, nothing is
wider than the screen (except inside a box that scrolls), every table header cell has a
``scope``, and axe-core finds no serious or critical violation. A page in French
and one in Ukrainian are written in those languages.
No page and no check is excused."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import DEFAULT_OPTIONS, Axe
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    expect,
)

from shieldwall.app import create_app
from shieldwall.assistance.table_imports import import_table
from shieldwall.context import open_platform
from shieldwall.demo import DEMO_PASSWORD
from shieldwall.importers.common import sha256_of
from shieldwall.importers.tables import sheets, write_templates
from shieldwall.kit.settings import Settings
from shieldwall.routes_policy import ROUTES
from tests.conftest import SETUP, BuiltDemo
from tests.liveserver import LiveServer

pytestmark = pytest.mark.browser

AXE = Axe()  # axe-core, shipped in the axe-playwright-python package
WIDE: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}

# The pages, in the order they are visited. A path with ``{link}`` is the first link on the page
# visited just before it (its list) whose address matches the pattern, so that each role opens
# a record it may see, with a real id of the demo.
Step = tuple[str, str, str | None]  # (the page's route, the address or a pattern, who may see it)
SIGNED_IN: tuple[Step, ...] = (
    ("/", "/", None),
    ("/requests", "/requests", None),
    ("/requests/{request_id}", r"^/requests/\d+$", None),
    ("/requests/new", "/requests/new", None),
    ("/offers", "/offers", None),
    ("/deliveries", "/deliveries", None),
    ("/offers/{offer_id}", r"^/offers/\d+$", None),
    ("/meetings", "/meetings", None),
    ("/meetings/{meeting_id}", r"^/meetings/\d+$", None),
    ("/meetings/new", "/meetings/new", None),
    ("/proposals", "/proposals", None),
    ("/proposals/{proposal_id}", r"^/proposals/\d+$", None),
    ("/proposals/new", "/proposals/new", None),
    ("/instruments", "/instruments", None),
    ("/instruments/{instrument_id}", r"^/instruments/\d+$", None),
    ("/burden-sharing", "/burden-sharing", None),
    ("/pathway", "/pathway", None),
    ("/obligations", "/obligations", None),
    ("/obligations/{due_item_id}", r"^/obligations/\d+$", None),
    ("/triggers", "/triggers", None),
    ("/triggers/{trigger_id}", r"^/triggers/\d+$", None),
    ("/triggers/new", "/triggers/new", None),
    ("/compliance", "/compliance", None),
    ("/envelope", "/envelope", None),
    ("/capability-packages/{package_id}", r"^/capability-packages/\d+$", None),
    ("/planned-deliveries", r"^/planned-deliveries\?offer=\d+$", None),
    ("/capability-packages/new", "/capability-packages/new", None),
    ("/matching", "/matching", None),
    ("/notifications", "/notifications", None),
    ("/audit", "/audit", "sec"),
    ("/imports", "/imports", "sec"),
    ("/imports/{imported_file_id}", r"^/imports/\d+$", "sec"),
    ("/settings", "/settings", None),
    ("/glossary", "/glossary", None),
    ("/public", "/public", None),
)
# What a visitor who is not signed in reads; the API's documentation is the same for everyone,
# so it is checked here only.
SIGNED_OUT: tuple[Step, ...] = (
    ("/login", "/login", None),
    ("/public", "/public", None),
    ("/glossary", "/glossary", None),
    ("/settings", "/settings", None),
    ("/docs", "/docs", None),
    ("/redoc", "/redoc", None),
)
# Routes that are not pages people read: data, files, redirects.
NOT_PAGES = {
    "/healthz",
    "/openapi.json",
    "/favicon.ico",
    "/docs/oauth2-redirect",
    "/imports/templates/{name}",  # the import templates: files
}


WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = el => {
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && !inScroller(el);
  }).map(name);
  const page = document.documentElement.scrollWidth;
  if (page > width + 1) wide.push('the page, ' + page + ' px');
  return wide;
}"""
HEADERS_WITHOUT_SCOPE = """() => [...document.querySelectorAll('th:not([scope])')]
  .map(th => th.textContent.trim().slice(0, 40))"""


@dataclass
class Tab:
    """One browser context (a role at a width): what its pages logged and where they went."""

    context: BrowserContext
    page: Page
    base: str
    console: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def _on_request(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"}:
            self.hosts.add(parts.hostname or "")


def _open(browser: Browser, base: str, viewport: ViewportSize) -> Tab:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    tab = Tab(context, page, base)
    page.on("console", tab._on_console)
    page.on("pageerror", lambda exc: tab.console.append(str(exc)))
    context.on("request", lambda request: tab._on_request(request.url))
    return tab


def _sign_in(tab: Tab, username: str) -> None:
    page = tab.page
    page.goto(f"{tab.base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{tab.base}/")


def follow_nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation as a person would: on a phone it is folded under
    "Menu", which is opened first."""
    menu = page.locator("#menu-toggle")
    if menu.is_visible() and page.locator("#menu").get_attribute("open") is None:
        menu.click()
    page.locator("#main-nav").get_by_role("link", name=name, exact=True).click()


def _first_link(page: Page, pattern: str) -> str | None:
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return next((h for h in hrefs if re.match(pattern, h)), None)


def _wait_for_docs(page: Page, route: str) -> None:
    """Swagger UI and ReDoc draw the operations after the page has loaded."""
    if route == "/docs":
        page.locator(".opblock").first.wait_for(timeout=15_000)
    elif route == "/redoc":
        page.locator("[data-section-id^='tag/'], [data-section-id^='operation/']").first.wait_for(
            timeout=15_000
        )


def _load(tab: Tab, route: str, address: str) -> dict[str, str]:
    """Open the page at ``address`` at the tab's width: a failed status, with what failed."""
    page = tab.page
    tab.console.clear()
    response = page.goto(f"{tab.base}{address}")
    page.wait_for_load_state("load")
    _wait_for_docs(page, route)
    if response is None or response.status != 200:
        return {"status": str(response.status if response else None)}
    return {}


def _axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's run on the open page, as ``AXE.run`` runs it, its script put into each document
    once: a page resized to the other width is checked again by the copy already in it (putting
    its 560 kB in again took 0.1–0.3 s a check, twice a page on most pages)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.axe_script)
    results: dict[str, Any] = page.evaluate(
        "options => axe.run(document, options)", DEFAULT_OPTIONS
    )
    return list(results["violations"])


def _check_layout(tab: Tab) -> dict[str, str]:
    """The open page at the tab's width: each failed check with what failed."""
    page = tab.page
    failed: dict[str, str] = {}
    wide = page.evaluate(WIDER_THAN_SCREEN)
    if wide:
        failed["wider"] = ", ".join(wide[:8])
    unscoped = page.evaluate(HEADERS_WITHOUT_SCOPE)
    if unscoped:
        failed["scope"] = ", ".join(unscoped[:8])
    violations = [v for v in _axe_violations(page) if v.get("impact") in SERIOUS]
    if violations:
        failed["axe"] = "; ".join(
            f"{v['id']} ({v['impact']}): "
            + ", ".join(str(node["target"]) for node in v["nodes"][:4])
            for v in violations
        )
    if tab.console:
        failed["console"] = " | ".join(tab.console[:4])
    return failed


def _walk(tab: Tab, steps: tuple[Step, ...], who: str) -> list[str]:
    """Visit every step's page and check it at both widths; its failures, as readable lines.

    A page is loaded and checked at the width the tab has, then at the other width. A page
    without a script is resized to it and checked again: what a width shows of it is what the
    style sheet gives at that width, whether the page was loaded at it or resized to it. A page
    with a script (the charts, drawn by plotly.js at the width they load at; the API's
    documentation, drawn by Swagger UI and ReDoc) is loaded afresh at the other width."""
    problems: list[str] = []
    for route, target, only_for in steps:
        if only_for is not None and only_for != who:
            continue
        address = target
        if target.startswith("^"):
            found = _first_link(tab.page, target)
            if found is None:
                problems.append(f"{route}: no link matching {target} on {tab.page.url}")
                continue
            address = found
        started = time.monotonic()
        at = tab.page.viewport_size
        widths = (WIDE, PHONE) if at is None or at["width"] == WIDE["width"] else (PHONE, WIDE)
        scripted = True
        for viewport in widths:
            tab.page.set_viewport_size(viewport)
            failed = _load(tab, route, address) if scripted else {}
            scripted = "status" in failed or tab.page.evaluate("document.scripts.length > 0")
            if "status" not in failed:
                failed |= _check_layout(tab)
            for check, detail in failed.items():
                problems.append(f"{address} at {viewport['width']} px [{check}] {detail}")
        print(f"  {address}: {time.monotonic() - started:.1f} s")  # shown with -s: the slow ones
    outside = tab.hosts - {"127.0.0.1"}
    if outside:
        problems.append(f"requests left 127.0.0.1 for: {sorted(outside)}")
    return problems


def _import_the_templates(url: str, directory: Path) -> None:
    """One import for the imports' pages to show: the templates' example rows."""
    platform = open_platform(url)
    book = next(p for p in write_templates(directory) if p.suffix == ".xlsx")
    with platform.unit_of_work() as uow:
        outcome = import_table(
            uow, SETUP, lambda: sheets(book), file_name=book.name, sha256=sha256_of(book)
        )
    assert outcome.imported_file_id is not None, outcome.rejected
    platform.engine.dispose()


@pytest.fixture(scope="module")
def demo_url(demo_template: BuiltDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = demo_template.copy(tmp_path_factory.mktemp("demo-pages"))
    _import_the_templates(url, tmp_path_factory.mktemp("import-templates"))
    app = create_app(Settings(database_url=url))
    with LiveServer(app) as live:
        yield live.url
    app.state.platform.engine.dispose()


def test_the_walk_covers_every_page_route() -> None:
    """A new page cannot be left out of the walk: every GET route that is not the API's or a
    file is visited."""
    pages = {
        path
        for method, path in ROUTES
        if method == "GET" and not path.startswith(("/api/", "/static/")) and path not in NOT_PAGES
    }
    visited = {route for route, _target, _who in SIGNED_IN + SIGNED_OUT}
    assert pages - visited == set()


@pytest.mark.parametrize("who", ["ukr", "deu", "sec", "signed-out"])
def test_every_page_for_everyone_on_any_screen(browser: Browser, demo_url: str, who: str) -> None:
    """Each reader's walk checks every page at 1366 px and at 390 px: axe-core at both widths,
    since what is hidden, folded or overlapping (the menu, the scrolling tables) differs."""
    started = time.monotonic()
    tab = _open(browser, demo_url, WIDE)
    try:
        if who == "signed-out":
            steps = SIGNED_OUT
        else:
            _sign_in(tab, who)
            steps = SIGNED_IN
        problems = _walk(tab, steps, who)
    finally:
        tab.context.close()
    print(f"{who} at both widths: {time.monotonic() - started:.1f} s")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("locale", "how", "title", "heading"),
    [
        ("fr", "header", "Glossaire · Shieldwall", "Glossaire"),
        ("uk", "cookie", "Увійти · Shieldwall", "Вхід до Shieldwall"),
    ],
)
def test_a_page_in_french_and_one_in_ukrainian(
    browser: Browser, demo_url: str, locale: str, how: str, title: str, heading: str
) -> None:
    headers = {"Accept-Language": locale} if how == "header" else {}
    context = browser.new_context(viewport=PHONE, extra_http_headers=headers)
    if how == "cookie":
        context.add_cookies([{"name": "shieldwall_locale", "value": locale, "url": demo_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        path = "/glossary" if locale == "fr" else "/login"
        response = page.goto(f"{demo_url}{path}")
        assert response is not None and response.status == 200
        assert page.title() == title
        assert page.locator("h1").inner_text() == heading
        assert page.locator("html").get_attribute("lang") == locale
        assert errors == []
    finally:
        context.close()


def test_the_frame_on_a_phone_and_on_a_desk(browser: Browser, demo_url: str) -> None:
    """The skip link is the first thing the keyboard reaches and leads to the content; at
    390 px the navigation is folded under "Menu" and opens from the keyboard without leaving
    the screen; at 1366 px it is open and "Menu" is not shown."""
    tab = _open(browser, demo_url, PHONE)
    try:
        _sign_in(tab, "deu")
        page = tab.page
        nav = page.locator("#main-nav")
        offers = nav.get_by_role("link", name="Offers", exact=True)
        assert not offers.is_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert page.locator(".skip-link").is_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
        page.locator("#menu-toggle").focus()
        page.keyboard.press("Enter")
        assert offers.is_visible()
        assert page.evaluate(WIDER_THAN_SCREEN) == []
        offers.click()
        page.wait_for_url(f"{demo_url}/offers")
        page.set_viewport_size(WIDE)
        assert page.locator("#main-nav").get_by_role("link", name="Offers", exact=True).is_visible()
        assert not page.locator("#menu-toggle").is_visible()
        expect(page.locator("#nav-settings")).to_have_accessible_name(
            "Language and time zone: English"
        )
        assert tab.console == []
    finally:
        tab.context.close()


def test_printed_pages_hold_the_record_only(browser: Browser, demo_url: str) -> None:
    """On paper: no navigation, forms or buttons; black on white."""
    tab = _open(browser, demo_url, WIDE)
    try:
        _sign_in(tab, "ukr")
        page = tab.page
        page.emulate_media(media="print")
        for path in ("/", "/requests", "/offers/1"):
            page.goto(f"{demo_url}{path}")
            for hidden in ("header.top", "footer", "main form", "main button"):
                shown = [el.is_visible() for el in page.locator(hidden).all()]
                assert not any(shown), (path, hidden)
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") in {
                "rgb(255, 255, 255)",
                "rgba(0, 0, 0, 0)",
            }
        # An offer's page fits on one A4 page.
        pdf = page.pdf(format="A4")
        pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
        assert len(pages) == 1, f"the offer prints on {len(pages)} pages"
    finally:
        tab.context.close()
