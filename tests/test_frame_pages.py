"""The frame every page shares, over real HTTP: the API's documentation served with no address
outside this server, the favicon, the public glossary with an anchor per term (in English,
French and Ukrainian), and the header's skip link, language link and glossary link."""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Iterator

import httpx
import pytest

from shieldwall.app import create_app
from shieldwall.kit.db import migrate
from shieldwall.kit.settings import Settings
from tests.conftest import TLS
from tests.liveserver import LiveServer

HTML = {"Accept": "text/html"}
# Any absolute address: the pages may name none but this server's.
ADDRESS = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    url = f"sqlite:///{tmp_path_factory.mktemp('frame') / 'frame.db'}"
    migrate(url)
    app = create_app(Settings(database_url=url))
    with LiveServer(app) as live, httpx.Client(verify=TLS, base_url=live.url, headers=HTML) as http:
        yield http
    app.state.platform.engine.dispose()


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_documentation_names_no_outside_address(client: httpx.Client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert ADDRESS.findall(page.text) == []
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert "/openapi.json" in page.text
    assert len(assets) >= 2
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert b"cdn.redoc.ly" not in answer.content, asset


def test_only_the_documentation_files_are_served(client: httpx.Client) -> None:
    assert client.get("/static/docs/swagger-ui.css").status_code == 200
    assert client.get("/static/docs/core.py").status_code == 404
    assert client.get("/static/docs/..%2f__init__.py").status_code == 404


def test_the_favicon_is_answered(client: httpx.Client) -> None:
    for path in ("/favicon.ico", "/static/favicon.svg"):
        icon = client.get(path)
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/svg+xml"
        assert icon.text.lstrip().startswith("<svg")


# The terms other pages link to (/glossary#committed): their anchors are part of the contract.
ANCHORS = (
    "offered",
    "committed",
    "delivered",
    "confirmed-delivery",
    "cancelled",
    "withdrawn",
    "ledger",
    "request",
    "addressed-member",
    "releasability",
    "releasability-own",
    "releasability-partner",
    "releasability-addressees",
    "releasability-members",
    "releasability-council",
    "releasability-public",
    "secretariat",
    "chair",
    "council",
    "crisis-consultation",
    "silence-procedure",
    "consensus",
    "instrument",
    "obligation",
    "trigger",
    "due-item",
    "met-late",
    "overdue",
    "capability-package",
    "readiness",
    "envelope",
    "burden-share",
    "illustrative",
)


def test_the_glossary_is_public_with_an_anchor_per_term(client: httpx.Client) -> None:
    page = client.get("/glossary")
    assert page.status_code == 200
    ids = re.findall(r'<dt id="([^"]+)">', page.text)
    assert [a for a in ANCHORS if a not in ids] == []
    assert len(ids) == len(set(ids))
    assert '<dt id="silence-procedure"><a href="#silence-procedure">silence procedure</a>' in (
        page.text
    )


@pytest.mark.parametrize(
    ("language", "title", "term"),
    [
        ("fr", "<title>Glossaire · Shieldwall</title>", "procédure d'approbation tacite"),
        ("uk", "<title>Глосарій · Shieldwall</title>", "процедура мовчазної згоди"),
    ],
)
def test_the_glossary_in_french_and_ukrainian(
    client: httpx.Client, language: str, title: str, term: str
) -> None:
    page = client.get("/glossary", headers={"Accept-Language": language})
    assert f'<html lang="{language}">' in page.text
    assert title in page.text
    assert term in page.text


def test_every_page_starts_with_a_skip_link_and_links_the_glossary(client: httpx.Client) -> None:
    for path in ("/login", "/glossary", "/settings", "/public"):
        page = client.get(path).text
        body = page[page.index("<body>") :]
        first_link = re.search(r"<a [^>]*>", body)
        assert first_link is not None
        assert 'class="skip-link" href="#content"' in first_link.group(0), path
        assert '<main id="content"' in page, path
        assert 'href="/glossary"' in page, path
        assert re.search(r'<a href="/settings" id="nav-settings"[^>]*>.*English</a>', page), path


def test_an_app_no_longer_used_is_freed(sqlite_url: str) -> None:
    """A test process builds an app per test: nothing of the package's may keep one alive once
    it is dropped (FastAPI keeps the endpoints it has classified in module-level caches, so a
    page that closed over its app kept the whole app, one per test, to the end of the run)."""
    app = create_app(Settings(database_url=sqlite_url))
    app.state.platform.engine.dispose()
    freed = weakref.ref(app)
    del app
    gc.collect()
    assert freed() is None
