"""The audit page as a readable history, over real HTTP on SQLite and PostgreSQL: each record
says who did what to which record, in words, with the record linked and the change field by
field in units and euros; the raw record stays one click away; a day range filters it; a page
past the end shows the last one; and the log stays the secretariat's (issue 10)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from pathlib import Path

import httpx
import openpyxl
import pytest

import shieldwall
from shieldwall.audit.story import ACTIONS
from shieldwall.kit.clock import FixedClock
from tests.conftest import NOW, actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser

DAY = dt.timedelta(days=1)


def text_of(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces folded."""
    page = re.sub(r"<(select|style).*?</\1>", " ", page, flags=re.S)
    no_tags = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(no_tags))


@pytest.fixture
def committed(seeded: Context, clock: FixedClock) -> int:
    """Germany offers 3 Patriot batteries (€1bn each, the seeded reference value) on
    2024-04-05, Ukraine accepts on the 6th and Germany commits 2 of them on the 8th."""
    clock.set(NOW + 3 * DAY)
    offer: int = seeded.assistance.make_offer(
        actor(seeded, "deu"), member="DEU", kind="arm", item="patriot", quantity=3
    )
    clock.set(NOW + 4 * DAY)
    seeded.assistance.accept(actor(seeded, "ukr"), offer)
    clock.set(NOW + 6 * DAY)
    seeded.assistance.commit(actor(seeded, "deu"), offer, 2)
    return offer


def test_a_commit_reads_as_words_with_units_and_euros_and_links_the_offer(
    server: LiveServer, committed: int
) -> None:
    sec = Browser(server, "sec")
    page = sec.get(f"/audit?record_type=offer&record_id={committed}")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert (
        f"Germany (deu, head of delegation) committed offer #{committed} "
        "(Germany: Patriot battery, 3 batteries)" in shown
    )
    assert "Committed: 0 batteries → 2 batteries; value €0.00 → €2,000,000,000.00" in shown
    assert "State: accepted → committed" in shown
    assert f"Ukraine (ukr, head of delegation) accepted offer #{committed}" in shown
    assert f'<a href="/offers/{committed}">#{committed}</a>' in page.text
    # No action code and no JSON in cents in the history itself ...
    history = page.text[page.text.index('id="audit-history"') :]
    visible = re.sub(r"<details>.*?</details>", "", history, flags=re.S)
    assert "offer.commit" not in visible and "200000000000" not in visible
    # ... but the stored record is one click away.
    raw = re.findall(r"<details>.*?</details>", history, flags=re.S)
    assert raw and any('"committed":[2,200000000000]' in html.unescape(d) for d in raw)


def test_the_history_is_in_the_viewer_language(server: LiveServer, committed: int) -> None:
    sec = Browser(server, "sec")
    page = sec.client.get(
        f"/audit?record_type=offer&record_id={committed}&action=offer.commit",
        headers={"Accept-Language": "fr"},
    )
    shown = text_of(page.text)
    assert f"a engagé l'offre n° {committed}" in shown
    assert "2 000 000 000,00 €" in shown.replace("\u202f", " ").replace("\xa0", " ")


def test_a_day_range_filters_the_history_and_the_to_day_is_included(
    server: LiveServer, committed: int
) -> None:
    sec = Browser(server, "sec")
    by_day = "/audit?record_type=offer&from={}&to={}"
    accepted_only = text_of(sec.get(by_day.format("2024-04-06", "2024-04-06")).text)
    assert "Page 1 of 1 · 1 record" in accepted_only
    assert "accepted offer" in accepted_only and "committed offer" not in accepted_only
    everything = text_of(sec.get(by_day.format("2024-04-05", "2024-04-08")).text)
    assert "Page 1 of 1 · 3 records" in everything
    nothing = text_of(sec.get(by_day.format("2024-04-09", "2024-04-30")).text)
    assert "No audit record matches these filters." in nothing
    # The filters are labelled fields, not placeholders.
    form = sec.get("/audit").text
    for name in ("from", "to", "delegation", "actor", "action", "record_type", "record_id"):
        assert f'<label for="audit-filters-{name}">' in form


def test_a_page_past_the_end_shows_the_last_page(server: LiveServer, committed: int) -> None:
    sec = Browser(server, "sec")
    whole = text_of(sec.get("/audit").text)
    found = re.search(r"Page 1 of (\d+) · [\d,]+ records", whole)
    assert found is not None
    pages = int(found.group(1))
    assert pages < 11
    past = text_of(sec.get("/audit?page=11").text)
    assert f"Page {pages} of {pages}" in past and f"Page 11 of {pages}" not in past


def test_the_download_is_exactly_the_filtered_view(server: LiveServer, committed: int) -> None:
    sec = Browser(server, "sec")
    csv = sec.get("/audit?record_type=offer&from=2024-04-06&to=2024-04-08&format=csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Number,When,What happened,What changed,")
    assert len(lines) == 3  # the header, the commit and the acceptance; not the offer
    assert "committed offer #" in lines[1] and "accepted offer #" in lines[2]
    assert "€2,000,000,000.00" in lines[1]
    xlsx = sec.get("/audit?record_type=offer&from=2024-04-06&to=2024-04-08&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [r[0] for r in rows] == ["Number", rows[1][0], rows[2][0]] and len(rows) == 3
    assert "committed offer #" in str(rows[1][2]) and "accepted offer #" in str(rows[2][2])


def test_the_audit_page_stays_the_secretariats(server: LiveServer, committed: int) -> None:
    for username in ("deu", "ukr"):
        member = Browser(server, username)
        refused = member.client.get("/audit", follow_redirects=False)
        assert refused.status_code in (303, 403)
        assert "committed offer" not in refused.text
    anonymous = httpx.get(f"{server.url}/audit", follow_redirects=False)
    assert anonymous.status_code in (303, 401)


def test_every_action_the_features_record_has_words() -> None:
    """Every action code a service writes to the log (a literal passed to ``uow.audit``, or
    one of the families written with an f-string) is described in ``audit.story.ACTIONS``,
    so that the page never shows a bare code."""
    source = Path(shieldwall.__file__).parent
    written: set[str] = set()
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"\.audit\((.{0,300}?)\)\n", text, flags=re.S):
            written.update(re.findall(r'(?<![{f])"([a-z_]+\.[a-z_]+)"', call.group(1)))
    assert len(written) > 40  # the scan found the services' calls
    # The families written with an f-string: offer.{action}, request.{verb},
    # delivery.{verb} and {record_type}.widen.
    written |= {"offer.accept", "offer.decline", "offer.withdraw", "offer.commit"}
    written |= {"offer.cancel", "request.withdraw", "request.close"}
    written |= {"delivery.confirm", "delivery.reject", "offer.widen", "request.widen"}
    written |= {"import.kiel", "import.fts"}  # import.{source} (assistance.imports)
    # proposal.{action} (matching.service): a matching proposal sent, confirmed or declined.
    written |= {"proposal.send", "proposal.confirm", "proposal.decline"}
    assert sorted(written - set(ACTIONS)) == []
