"""The pages in Debian's Chromium, driven by Playwright, on the demo data."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from shieldwall.app import create_app
from shieldwall.demo import DEMO_PASSWORD
from shieldwall.kit.settings import Settings
from tests.conftest import BuiltDemo
from tests.liveserver import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_url(demo_template: BuiltDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = demo_template.copy(tmp_path_factory.mktemp("demo"))
    app = create_app(Settings(database_url=url))
    with LiveServer(app) as live:
        yield live.url
    app.state.platform.engine.dispose()


def sign_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.context.clear_cookies()  # a signed-in browser is sent on from /login
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_dashboard_follows_a_request_to_its_offers(page: Page, demo_url: str) -> None:
    page.goto(demo_url)
    expect(page).to_have_url(re.compile(r"/login\?next=/"))
    sign_in(page, demo_url, "ukr")
    expect(page).to_have_title(re.compile("Dashboard"))
    expect(page.locator("#whoami")).to_contain_text("ukr · UKR")
    expect(page.locator("#total-committed")).to_contain_text(re.compile(r"€[\d.]+B"))
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
    expect(page.locator("table.data")).to_contain_text("Germany")  # names, not codes

    offers.filter(has_text="Germany").first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/offers/\d+$"))
    expect(page.locator("h1")).to_contain_text("Germany")
    expect(page.locator("#timeline")).to_contain_text("Offer made")
    expect(page.locator("#timeline")).to_contain_text("Offer committed")
    page.get_by_role("link", name=re.compile("Patriot batteries")).click()
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))


def test_a_member_sees_only_what_is_released_to_it(page: Page, demo_url: str) -> None:
    # The interceptor request is addressed to USA, DEU and NLD: France does not see it, and
    # the illustrative offers made to the partner alone are not in France's totals.
    sign_in(page, demo_url, "fra")
    page.goto(f"{demo_url}/requests")
    expect(page.locator("#requests-table")).to_contain_text("155mm artillery ammunition")
    expect(page.locator("#requests-table")).not_to_contain_text("PAC-3 interceptors")
    sign_in_sec = page.context.browser.new_page() if page.context.browser else None
    assert sign_in_sec is not None
    sign_in(sign_in_sec, demo_url, "sec")
    sign_in_sec.goto(f"{demo_url}/requests")
    expect(sign_in_sec.locator("#requests-table")).to_contain_text("PAC-3 interceptors")
    fra_total = page.goto(demo_url) and page.locator("#total-committed").inner_text()
    sec_total = sign_in_sec.goto(demo_url) and sign_in_sec.locator("#total-committed").inner_text()
    assert fra_total != sec_total
    sign_in_sec.close()

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#message")).to_contain_text("signed out")
    page.goto(f"{demo_url}/requests")
    expect(page).to_have_url(re.compile(r"/login\?next=/requests"))


def test_forged_post_without_csrf_is_refused(page: Page, demo_url: str) -> None:
    sign_in(page, demo_url, "deu")
    expect(page.locator("#whoami")).to_be_visible()
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    # Another site's form can post the cookie (were SameSite not Strict) but not the token.
    forged = httpx.post(f"{demo_url}/logout", cookies=cookies, follow_redirects=False)
    assert forged.status_code == 403
    page.reload()
    expect(page.locator("#whoami")).to_contain_text("deu")  # still signed in
    forged_login = httpx.post(
        f"{demo_url}/login", data={"username": "deu", "password": DEMO_PASSWORD}
    )
    assert forged_login.status_code == 403 and "shieldwall_session" not in forged_login.cookies


def test_back_after_sign_out_does_not_show_the_signed_in_page(page: Page, demo_url: str) -> None:
    sign_in(page, demo_url, "deu")
    page.goto(f"{demo_url}/offers")
    expect(page.locator("#whoami")).to_contain_text("deu")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#message")).to_contain_text("signed out")
    page.go_back()
    # The page was never stored (Cache-Control: no-store): Back asks again, and is sent to
    # sign in.
    expect(page).to_have_url(re.compile(r"/login\?next=/offers"))
    expect(page.locator("#whoami")).to_have_count(0)


def test_repeated_failures_are_throttled_with_a_time(page: Page, demo_url: str) -> None:
    for _ in range(5):
        sign_in(page, demo_url, "pol", "not-the-password")
        expect(page.locator("#error")).to_contain_text("Wrong username or password")
    sign_in(page, demo_url, "pol")  # even the right password waits now
    expect(page.locator("#error")).to_contain_text("Too many failed sign-ins")
    expect(page.locator("#error")).to_contain_text("try again after")


def test_requests_filter_and_empty_state(page: Page, demo_url: str) -> None:
    sign_in(page, demo_url, "sec")
    page.goto(f"{demo_url}/requests")
    page.get_by_label("Status").select_option("closed")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/requests\?status=closed$"))
    expect(page.locator(".empty")).to_contain_text("No request you may see matches this view")
    page.get_by_role("link", name="Show all requests").click()
    expect(page.locator("#requests-table tbody tr").first).to_be_visible()


def test_public_page_needs_no_sign_in(page: Page, demo_url: str) -> None:
    page.goto(f"{demo_url}/public")
    expect(page.locator("#public-committed")).to_contain_text(re.compile(r"€[\d.]+B"))
    expect(page.locator("#public-members")).to_contain_text("DEU")


def test_empty_platform_says_what_to_do(page: Page, seeded_sqlite_url: str) -> None:
    app = create_app(Settings(database_url=seeded_sqlite_url))
    with LiveServer(app) as live:
        sign_in(page, live.url, "sec", "correct-horse-battery")
        expect(page.locator("#nothing-needs-you")).to_have_text("Nothing needs you now.")
        expect(page.locator("section.empty")).to_contain_text("shieldwall demo")
        page.goto(f"{live.url}/offers")
        expect(page.locator(".empty")).to_contain_text("No offer has been made yet")
        response = page.goto(f"{live.url}/offers/999")
        assert response is not None and response.status == 404
        expect(page.locator("#error")).to_contain_text("offer 999 does not exist")
        response = page.goto(f"{live.url}/no-such-page")
        assert response is not None and response.status == 404
        expect(page.locator("#error")).to_contain_text("nothing at /no-such-page")
    app.state.platform.engine.dispose()


def test_partner_and_member_walk_an_offer_to_delivery(page: Page, demo_url: str) -> None:
    sign_in(page, demo_url, "ukr")
    page.get_by_role(
        "link", name=re.compile(r"Netherlands: offer #\d+ of PAC-3 MSE interceptor")
    ).click()
    expect(page.locator("h1")).to_contain_text("offered")
    page.get_by_role("button", name="Accept the offer").click()
    # Nothing changes until the partner confirms what the step does.
    expect(page.locator("#confirm-question")).to_contain_text(
        re.compile(r"Accept the offer of Netherlands: PAC-3 MSE interceptor, \d+ missiles, €")
    )
    page.get_by_role("button", name="Yes, accept the offer").click()
    expect(page.locator("#done")).to_contain_text("Offer accepted.")
    expect(page.locator("h1")).to_contain_text("accepted")
    offer_url = page.url.split("?")[0]
    # The partner cannot commit on the member's behalf: it is not even offered the button.
    expect(page.get_by_role("button", name="Commit")).to_have_count(0)

    sign_in(page, demo_url, "nld")
    page.goto(offer_url)
    page.get_by_role("button", name="Commit", exact=True).click()
    expect(page.locator("#confirm-question")).to_contain_text(
        re.compile(r"Commit PAC-3 MSE interceptor, \d+ missiles, €.*, to Ukraine\?")
    )
    page.get_by_role("button", name="Yes, commit").click()
    expect(page.locator("#done")).to_contain_text("Offer committed.")
    actions = page.locator("#actions")
    actions.get_by_label("Quantity delivered").fill("100")
    actions.get_by_label("Note").fill("via Rzeszów")
    actions.get_by_role("button", name="Record a delivery").click()
    # Refused before any confirmation is asked; what was typed stays in the form.
    expect(page.locator("#error")).to_contain_text("deliveries would exceed the commitment")
    expect(page.locator("#actions").get_by_label("Quantity delivered")).to_have_value("100")
    expect(page.locator("#actions").get_by_label("Note")).to_have_value("via Rzeszów")
    page.locator("#actions").get_by_label("Quantity delivered").fill("4")
    page.locator("#actions").get_by_role("button", name="Record a delivery").click()
    page.get_by_role("button", name="Yes, record the delivery").click()
    expect(page.locator("#done")).to_contain_text("Delivery recorded")

    sign_in(page, demo_url, "ukr")
    page.goto(offer_url)
    page.get_by_role("button", name="Confirm receipt").click()
    page.get_by_role("button", name="Yes, confirm receipt").click()
    expect(page.locator("#done")).to_contain_text("Delivery confirmed.")
    expect(page.locator("#timeline")).to_contain_text("Delivery confirmed")


def test_partner_files_a_request_and_a_member_answers_it(page: Page, demo_url: str) -> None:
    sign_in(page, demo_url, "ukr")
    page.goto(f"{demo_url}/requests")
    page.locator("#new-request").click()
    form = page.locator("#request-form")
    form.get_by_label("Title").fill("Counter-drone guns")
    form.get_by_label("What").select_option("area:drones")
    form.get_by_label("Why").fill("Shahed drones at night")
    form.get_by_role("button", name="File the request").click()
    # An area request needs a value: the form says so by the field's label and keeps what was
    # typed.
    expect(page.locator("#error")).to_contain_text("Value in EUR: ")
    expect(page.locator("#request-form").get_by_label("Title")).to_have_value("Counter-drone guns")
    form = page.locator("#request-form")
    form.get_by_label("Value in EUR").fill("25000000")
    form.get_by_label("Addressed to").select_option(["DEU"])
    form.get_by_role("button", name="File the request").click()
    expect(page.locator("#done")).to_contain_text("Request filed")
    request_url = page.url.split("?")[0]

    sign_in(page, demo_url, "fra")
    hidden = page.goto(request_url)
    assert hidden is not None and hidden.status == 404

    sign_in(page, demo_url, "deu")
    page.goto(request_url)
    offer = page.locator("#offer-form")
    offer.get_by_label(re.compile("^Quantity")).fill("40")
    offer.get_by_label(re.compile("^Value in EUR")).fill("8000000")
    offer.get_by_label("Description").fill("Skynex guns")
    offer.get_by_role("button", name="Make an offer").click()
    expect(page.locator("#done")).to_contain_text("Offer made")
    expect(page.locator("h1")).to_contain_text("Germany")
    page.get_by_role("link", name=re.compile("Counter-drone guns")).click()
    expect(page.locator("table.data")).to_contain_text("Germany")


def test_offers_filter_by_state_and_export_what_you_see(page: Page, demo_url: str) -> None:
    sign_in(page, demo_url, "fra")
    page.goto(f"{demo_url}/offers")
    page.get_by_label("State").select_option("declined")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".empty")).to_contain_text("No offer you may see matches this view")
    page.get_by_label("State").select_option("delivered")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/offers\?state=delivered$"))
    shown = page.locator("#offers-table tbody tr")
    expect(shown.first).to_be_visible()
    ids = [int(i) for i in shown.evaluate_all("rows => rows.map(r => r.dataset.id)")]
    # The view's download holds the rows shown (one page here), in the same order.
    with page.expect_download() as view_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    rows = open(view_download.value.path(), encoding="utf-8-sig").read().splitlines()  # noqa: SIM115
    assert rows[0].startswith("Offer,Member,Member code,Kind")
    assert [int(r.split(",")[0]) for r in rows[1:]] == ids
    # The whole ledger the reader may see is still one click away.
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()  # noqa: SIM115
    assert lines[0].startswith("id,entry_type,measure,offer_id")
    # France sees the public Kiel offers and its own, not the offers released to UKR alone.
    members = {line.split(",")[6] for line in lines[1:]}
    assert "FRA" in members and len(lines) > 100
    api = httpx.get(
        f"{demo_url}/api/v1/ledger/export.csv",
        cookies={c["name"]: c["value"] for c in page.context.cookies()},
    )
    assert api.text.splitlines() == lines
