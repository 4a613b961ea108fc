"""Two rules of every exchange: request bodies over the limit are refused with 413 before they
are parsed (declared or streamed); answers to requests with credentials are never stored."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from shieldwall.app import create_app
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.settings import Settings
from tests.conftest import NOW, PASSWORD, TLS, Delegations, problem_of
from tests.liveserver import LiveServer

MiB = 1024 * 1024


def big_json(size: int) -> bytes:
    return b'{"member": "DEU", "kind": "arm", "quantity": 1, "description": "' + (
        b"x" * size + b'"}'
    )


def test_a_body_over_one_mib_is_413_naming_the_limit(api: Delegations) -> None:
    deu = api.as_("deu")
    headers = {"Content-Type": "application/json"}
    response = deu.post("/api/v1/offers", content=big_json(2 * MiB), headers=headers)
    body = problem_of(response, 413)
    assert body["max_bytes"] == MiB and "1,048,576 bytes" in body["detail"]
    # Just under the limit the body is read and parsed: the description is too long (422).
    under = deu.post("/api/v1/offers", content=big_json(MiB - 200), headers=headers)
    assert problem_of(under, 422)["errors"][0]["field"] == "description"


def test_a_streamed_body_without_a_length_is_counted(api: Delegations) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"member": "DEU", "description": "'
        for _ in range(64):
            yield b"x" * 32 * 1024  # 2 MiB in all, sent chunked
        yield b'"}'

    response = api.as_("deu").post(
        "/api/v1/offers", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert problem_of(response, 413)["max_bytes"] == MiB


def test_forms_and_sign_in_have_the_limit_too(api: Delegations) -> None:
    refused = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "deu", "password": "x" * (2 * MiB)}
    )
    assert problem_of(refused, 413)["max_bytes"] == MiB


@pytest.fixture
def small_limits(seeded_sqlite_url: str) -> Iterator[str]:
    settings = Settings(database_url=seeded_sqlite_url, max_body_bytes=4096, max_upload_bytes=64000)
    app = create_app(settings, FixedClock(NOW))
    with LiveServer(app) as live:
        yield live.url
    app.state.platform.engine.dispose()


def test_the_limits_are_settings_and_uploads_have_the_larger_one(small_limits: str) -> None:
    big = {"username": "deu", "password": "wrong-password", "padding": "x" * 10_000}
    refused = httpx.post(f"{small_limits}/api/v1/auth/token", data=big)
    assert problem_of(refused, 413)["max_bytes"] == 4096
    # The same fields as multipart/form-data (how a browser sends files) are within the
    # 64,000 bytes of an upload: read, parsed, and answered by the route (wrong password).
    multipart = {k: (None, v) for k, v in big.items()}
    upload = httpx.post(f"{small_limits}/api/v1/auth/token", files=multipart)
    assert upload.status_code == 401
    huge = httpx.post(
        f"{small_limits}/api/v1/auth/token",
        files={**multipart, "padding": (None, "x" * 70_000)},
    )
    assert problem_of(huge, 413)["max_bytes"] == 64000


def _signed_in(api: Delegations, username: str) -> httpx.Client:
    client = httpx.Client(verify=TLS, base_url=api.server.url, timeout=30)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    return client


def test_answers_to_requests_with_credentials_are_never_stored(api: Delegations) -> None:
    browser = _signed_in(api, "ukr")
    for path in ("/", "/offers", "/requests", "/api/v1/auth/me", "/api/v1/offers", "/nowhere"):
        assert browser.get(path).headers["cache-control"] == "no-store", path
    token = api.as_("deu")
    for path in ("/api/v1/offers", "/api/v1/ledger/summary", "/api/v1/ledger/export.csv"):
        assert token.get(path).headers["cache-control"] == "no-store", path
    assert token.post("/api/v1/offers", json={}).headers["cache-control"] == "no-store"
    # The sign-in page is never stored either; static assets keep their own caching; the
    # public's answers are not credentials' answers.
    assert api.anonymous.get("/login").headers["cache-control"] == "no-store"
    plotly = browser.get("/static/plotly.min.js")
    assert plotly.headers["cache-control"] == "public, max-age=86400"
    assert "cache-control" not in api.anonymous.get("/api/v1/public/summary").headers
