"""Kept responses (``kit.kept_responses``): a GET of the ledger summary or the offers list with a
bearer token is answered again, whole, without the app reading anything, while the database is
unchanged and the token's own clock allows; never once anything was committed, the token
revoked, expired or its user disabled. On SQLite and PostgreSQL, through the app over HTTP.

A kept answer sends no statement through the engine (the database's state is read on a
connection of the watch's own); an answer read afresh sends the token's lookup and the read's.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event

from shieldwall.access.web import SESSION_COOKIE
from shieldwall.app import create_app
from shieldwall.kit.answers import MISSING, Kept
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.middleware import LOCALE_COOKIE
from shieldwall.kit.settings import Settings
from tests.conftest import SETUP, actor
from tests.platform import TestPlatform as Context
from tests.test_kept_answers import ANOTHER_PROCESS

SUMMARY = "/api/v1/ledger/summary?group_by=member,kind"
OFFERS = "/api/v1/offers"


class Api:
    """The app over HTTP and the statements it sends through its engine."""

    def __init__(self, database_url: str, clock: FixedClock) -> None:
        self.app = create_app(Settings(database_url=database_url), clock)
        self.client = TestClient(self.app)
        self.statements = 0
        event.listen(self.app.state.platform.engine, "before_cursor_execute", self._note)

    def _note(self, *_args: Any) -> None:
        self.statements += 1

    def get(self, path: str, secret: str, **headers: str) -> tuple[httpx.Response, int]:
        """The answer, and how many statements the app sent for it."""
        before = self.statements
        response = self.client.get(path, headers={"Authorization": f"Bearer {secret}", **headers})
        return response, self.statements - before

    def kept(self, path: str, secret: str, **headers: str) -> httpx.Response:
        """The answer once it is given whole from the kept one (no statement sent). On
        PostgreSQL a commit anywhere in the cluster (another test's database, autovacuum) moves
        every database's snapshot, and the next request rightly reads afresh: asked again, up
        to five times."""
        for _ in range(5):
            response, sent = self.get(path, secret, **headers)
            if sent == 0:
                return response
        pytest.fail(f"{path}: never answered from a kept response")


@pytest.fixture
def api(database_url: str, clock: FixedClock) -> Iterator[Api]:
    found = Api(database_url, clock)
    with found.client:
        yield found
    found.app.state.platform.engine.dispose()


def _token(seeded: Context, username: str, expires_in: dt.timedelta | None = None) -> str:
    who = actor(seeded, username)
    secret, _info = seeded.access.issue_token(
        who, kind="personal", name="t", scopes=who.scopes, expires_in=expires_in
    )
    return secret


def _offered(response: httpx.Response, member: str, kind: str) -> int:
    rows = response.json()["rows"]
    return sum(r["offered_quantity"] for r in rows if (r["member"], r["kind"]) == (member, kind))


@pytest.mark.parametrize(
    ("path", "other"),
    [(SUMMARY, "/api/v1/ledger/summary?group_by=member"), (OFFERS, OFFERS + "?limit=1")],
)
def test_an_unchanged_database_gives_the_same_answer_whole(
    api: Api, seeded: Context, path: str, other: str
) -> None:
    secret = _token(seeded, "deu")
    api.get(path, secret)  # the token's first use is noted (a write)
    first, sent = api.get(path, secret)
    assert first.status_code == 200 and sent >= 2  # the token's lookup, the read
    again = api.kept(path, secret)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers == first.headers  # Content-Language and no-store included
    assert again.headers["cache-control"] == "no-store"
    # Another query is another answer.
    answer, sent = api.get(other, secret)
    assert answer.status_code == 200 and sent >= 2 and answer.content != first.content


def test_a_write_is_seen_by_the_very_next_request(api: Api, seeded: Context) -> None:
    secret = _token(seeded, "deu")
    api.get(SUMMARY, secret)
    before = api.kept(SUMMARY, secret)
    body = {"kind": "arm", "member": "DEU", "item": "patriot", "quantity": 2}
    made = api.client.post(
        "/api/v1/offers", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert made.status_code == 201, made.text
    after, sent = api.get(SUMMARY, secret)
    assert sent >= 2
    assert _offered(after, "DEU", "arm") == _offered(before, "DEU", "arm") + 2


def test_a_write_by_another_process_is_seen_by_the_very_next_request(
    api: Api, seeded: Context, database_url: str
) -> None:
    secret = _token(seeded, "deu")
    api.get(OFFERS, secret)
    page = api.kept(OFFERS, secret).json()
    subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, database_url], check=True)
    after, sent = api.get(OFFERS, secret)
    assert sent >= 2 and after.json()["total"] == page["total"] + 1


def test_a_revoked_token_is_refused_at_once(api: Api, seeded: Context) -> None:
    secret = _token(seeded, "deu")
    api.get(SUMMARY, secret)
    api.kept(SUMMARY, secret)
    token_id = api.client.get(
        "/api/v1/auth/tokens", headers={"Authorization": f"Bearer {secret}"}
    ).json()[-1]["id"]
    revoked = api.client.delete(
        f"/api/v1/auth/tokens/{token_id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert revoked.status_code == 200, revoked.text
    refused, _sent = api.get(SUMMARY, secret)
    assert refused.status_code == 401


def test_a_disabled_user_is_refused_at_once(api: Api, seeded: Context) -> None:
    secret = _token(seeded, "deu")
    api.get(SUMMARY, secret)
    api.kept(SUMMARY, secret)
    seeded.access.disable_user(SETUP, "deu")
    refused, _sent = api.get(SUMMARY, secret)
    assert refused.status_code == 401


def test_an_expired_token_is_refused_at_once(api: Api, seeded: Context, clock: FixedClock) -> None:
    """Nothing is committed when a token expires: its clock, not the database, ends it."""
    secret = _token(seeded, "deu", expires_in=dt.timedelta(seconds=30))
    api.get(SUMMARY, secret)
    api.kept(SUMMARY, secret)
    clock.advance(dt.timedelta(seconds=29))
    assert api.kept(SUMMARY, secret).status_code == 200
    clock.advance(dt.timedelta(seconds=1))
    refused, _sent = api.get(SUMMARY, secret)
    assert refused.status_code == 401


def test_the_last_use_is_still_noted_each_minute(
    api: Api, seeded: Context, clock: FixedClock
) -> None:
    secret = _token(seeded, "deu")
    auth = {"Authorization": f"Bearer {secret}"}
    api.get(SUMMARY, secret)  # noted now
    api.kept(SUMMARY, secret)
    clock.advance(dt.timedelta(seconds=59))
    api.kept(SUMMARY, secret)  # within the minute: not noted again
    clock.advance(dt.timedelta(seconds=1))
    read, sent = api.get(SUMMARY, secret)
    assert read.status_code == 200 and sent >= 2
    last_used = api.client.get("/api/v1/auth/tokens", headers=auth).json()[-1]["last_used_at"]
    assert dt.datetime.fromisoformat(last_used) == clock.now()


def test_each_credential_has_its_own_answer(api: Api, seeded: Context) -> None:
    """Poland's offer is released to the partner (its default), not to Germany."""
    seeded.assistance.make_offer(SETUP, member="POL", kind="arm", quantity=3, item="patriot")
    deu, ukr = _token(seeded, "deu"), _token(seeded, "ukr")
    for secret in (deu, ukr):
        api.get(SUMMARY, secret)
    member = api.kept(SUMMARY, deu)
    partner = api.kept(SUMMARY, ukr)
    assert _offered(partner, "POL", "arm") >= 3
    assert _offered(member, "POL", "arm") == 0
    assert api.kept(SUMMARY, deu).content == member.content


def test_each_language_has_its_own_answer(api: Api, seeded: Context) -> None:
    """A download's column titles are in the language asked for: by ``Accept-Language``, or
    by the language's cookie (a request with cookies is never answered whole)."""
    secret = _token(seeded, "deu")
    download = SUMMARY + "&format=csv"
    api.get(download, secret)
    english = api.kept(download, secret)
    french = api.get(download, secret, **{"Accept-Language": "fr"})[0]
    assert french.headers["content-language"] == "fr"
    assert _titles(french) != _titles(english)
    assert api.kept(download, secret, **{"Accept-Language": "fr"}).content == french.content
    assert api.kept(download, secret).content == english.content
    chosen, sent = api.get(download, secret, Cookie=f"{LOCALE_COOKIE}=uk")
    assert chosen.headers["content-language"] == "uk" and sent >= 2
    assert _titles(chosen) not in (_titles(english), _titles(french))


def _titles(response: httpx.Response) -> str:
    return response.text.splitlines()[0]


def test_a_browser_session_is_always_read_afresh(api: Api, seeded: Context) -> None:
    """Its cookies may choose the answer's language and time zone: never answered whole."""
    secret, _info = seeded.access.start_session(actor(seeded, "deu"))
    api.client.cookies.set(SESSION_COOKIE, secret)
    for _ in range(3):
        before = api.statements
        assert api.client.get(SUMMARY).status_code == 200
        assert api.statements - before >= 2  # the session's lookup, the state, …


def test_a_refused_request_is_not_kept(api: Api, seeded: Context) -> None:
    secret = _token(seeded, "deu")
    for _ in range(3):
        refused, sent = api.get(OFFERS + "?limit=0", secret)
        assert refused.status_code == 422 and sent >= 1  # the token checked each time


@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 1000), st.integers(1, 60)), max_size=60)
)
def test_what_is_kept_stays_within_its_budget(puts: list[tuple[int, int, int]]) -> None:
    """Answers of up to 60 bytes each in a budget of 100: what is kept weighs at most 100, the
    newest answer is always kept, and each key gives its newest answer or none."""
    kept = Kept(100)
    newest: dict[int, int] = {}
    for key, answer, weight in puts:
        kept.put(key, answer, weight=weight)
        newest[key] = answer
        assert kept.get(key) == answer
        held = {k: kept.get(k) for k in range(10)}
        assert all(v in (MISSING, newest.get(k)) for k, v in held.items())
        assert sum(w for _a, w in kept.answers.values()) == kept.weight <= 100


def test_a_second_credential_in_the_same_request_is_never_kept(api: Api, seeded: Context) -> None:
    """The app signs in with the first ``Authorization`` header: an answer given to a request
    with two must never be given again to a request with only the second (here, no token)."""
    secret = _token(seeded, "deu")
    both = [("Authorization", f"Bearer {secret}"), ("Authorization", "Bearer not-a-token")]
    for _ in range(3):
        assert api.client.get(SUMMARY, headers=both).status_code == 200
    refused, _sent = api.get(SUMMARY, "not-a-token")
    assert refused.status_code == 401
    # The language as the app reads it too: the first header.
    languages = [("Accept-Language", "fr"), ("Accept-Language", "en")]
    download = SUMMARY + "&format=csv"
    auth = [("Authorization", f"Bearer {secret}")]
    french = api.client.get(download, headers=auth + languages)
    assert french.headers["content-language"] == "fr"
    english = api.client.get(download, headers=[*auth, ("Accept-Language", "en")])
    assert english.headers["content-language"] == "en"
    assert _titles(english) != _titles(french)
