"""Browser sessions over plain HTTP: sign-in, CSRF, expiry, sign-out; secrets never leak;
the secretariat's audit log; the user commands of the CLI."""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess

import httpx
import pytest
from sqlalchemy import text

from shieldwall.kit.clock import FixedClock
from tests.cli import run
from tests.conftest import PASSWORD, TLS, Delegations, actor
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token.group(1),
            "next": "/offers",
        },
        follow_redirects=False,
    )


@pytest.fixture
def browser_like(api: Delegations) -> httpx.Client:
    return httpx.Client(verify=TLS, base_url=api.server.url, timeout=30)


def test_session_cookie_flags_and_expiry(browser_like: httpx.Client, clock: FixedClock) -> None:
    signed = sign_in(browser_like, "deu")
    assert signed.status_code == 303 and signed.headers["location"] == "/offers"
    cookie = signed.headers["set-cookie"]
    assert "shieldwall_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert browser_like.get("/offers").status_code == 200
    assert browser_like.get("/api/v1/auth/me").json()["delegation"] == "DEU"
    clock.advance(dt.timedelta(hours=13))
    page = browser_like.get("/offers", follow_redirects=False)
    assert page.status_code == 303 and "expired=1" in page.headers["location"]
    api = browser_like.get("/api/v1/offers")
    assert api.status_code == 401 and "expired" in api.json()["detail"]


def test_cookie_sessions_need_the_csrf_header_to_write(
    browser_like: httpx.Client, seeded: Context
) -> None:
    sign_in(browser_like, "deu")
    body = {"member": "DEU", "kind": "arm", "quantity": 1, "item": "patriot"}
    refused = browser_like.post("/api/v1/offers", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    page = browser_like.get("/offers")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    made = browser_like.post("/api/v1/offers", json=body, headers={"X-CSRF-Token": csrf.group(1)})
    assert made.status_code == 201


def test_sign_out_ends_the_session(browser_like: httpx.Client) -> None:
    sign_in(browser_like, "ukr")
    page = browser_like.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    stolen = dict(browser_like.cookies)
    out = browser_like.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    # The old cookie is worthless once signed out, even if someone kept a copy.
    replay = httpx.get(f"{browser_like.base_url}/api/v1/auth/me", cookies=stolen)
    assert replay.status_code == 401


def test_open_redirects_are_refused(browser_like: httpx.Client) -> None:
    form = browser_like.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    response = browser_like.post(
        "/login",
        data={
            "username": "deu",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_secrets_never_reach_audit_logs_or_errors(
    api: Delegations,
    seeded: Context,
    browser_like: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = api.as_("deu").post("/api/v1/auth/tokens", json={"name": "ci"}).json()["token"]
    oauth = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "usa", "password": PASSWORD}
    ).json()
    sign_in(browser_like, "ukr", "a-wrong-password-1")
    sign_in(browser_like, "ukr")
    seeded.access.reset_password(actor(seeded, "sec"), "fra", "a-brand-new-password")
    session_cookie = browser_like.cookies["shieldwall_session"]
    with seeded.engine.connect() as conn:
        audit_text = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM audit_record")) for v in row
        )
        stored = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM api_token")) for v in row
        )
    # What the server side logged (the test's own HTTP client logs its traffic; not ours).
    server_logs = " ".join(
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(("shieldwall", "uvicorn", "fastapi"))
    )
    secrets = [
        PASSWORD,
        "a-wrong-password-1",
        "a-brand-new-password",
        token,
        oauth["access_token"],
        session_cookie,
    ]
    for secret in secrets:
        assert secret not in audit_text
        assert secret not in stored
        assert secret not in server_logs


def test_audit_log_for_the_secretariat_only(api: Delegations, seeded: Context) -> None:
    offer = seeded.assistance.make_offer(
        actor(seeded, "deu"), member="DEU", kind="arm", quantity=1, item="patriot"
    )
    page = api.as_("sec").get("/api/v1/audit", params={"action": "offer.make"}).json()
    assert page["total"] == 1
    record = page["items"][0]
    assert record["actor"] == "deu" and record["delegation"] == "DEU"
    assert record["record_id"] == str(offer)
    by_delegation = api.as_("sec").get("/api/v1/audit", params={"delegation": "deu"}).json()
    assert by_delegation["total"] == 1
    later = api.as_("sec").get("/api/v1/audit", params={"since": "2030-01-01"}).json()
    assert later["total"] == 0
    assert api.as_("deu").get("/api/v1/audit").status_code == 403
    assert api.as_("sec").get("/api/v1/audit", params={"since": "yesterday"}).status_code == 422


def test_user_commands(seeded_sqlite_url: str) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run(*args, "--db", seeded_sqlite_url)  # in this process, stdin empty

    added = cli(
        "user",
        "add",
        "j.smith",
        "--delegation",
        "deu",
        "--role",
        "viewer",
        "--password",
        "twelve-chars-at-least",
    )
    assert added.returncode == 0, added.stderr
    listed = cli("user", "list")
    assert "j.smith" in listed.stdout and "viewer" in listed.stdout
    short = cli("user", "add", "k.jones", "--delegation", "DEU", "--password", "short")
    assert short.returncode == 1 and "12 characters" in short.stderr
    wrong_role = cli(
        "user",
        "add",
        "k.jones",
        "--delegation",
        "DEU",
        "--role",
        "chair",
        "--password",
        "twelve-chars-at-least",
    )
    assert wrong_role.returncode == 1 and "role" in wrong_role.stderr
    asks = cli("user", "add", "k.jones", "--delegation", "DEU")
    assert asks.returncode == 1 and "--password" in asks.stderr
    assert (
        cli("user", "reset-password", "j.smith", "--password", "another-long-password").returncode
        == 0
    )
    assert cli("user", "disable", "j.smith").returncode == 0
    again = cli("user", "disable", "j.smith")
    assert again.returncode == 1 and "already disabled" in again.stderr
    missing = cli("user", "disable", "nobody")
    assert missing.returncode == 1 and "nobody" in missing.stderr
    assert "Traceback" not in missing.stderr + again.stderr + short.stderr


def test_offer_page_forms_need_their_csrf_token(
    browser_like: httpx.Client, seeded: Context
) -> None:
    offer = seeded.assistance.make_offer(
        actor(seeded, "deu"), member="DEU", kind="arm", quantity=1, item="patriot"
    )
    sign_in(browser_like, "ukr")
    forged = browser_like.post(f"/offers/{offer}/act", data={"action": "accept"})
    assert forged.status_code == 403
    page = browser_like.get(f"/offers/{offer}")
    assert "Accept the offer" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    asked = browser_like.post(
        f"/offers/{offer}/act", data={"action": "accept", "csrf_token": csrf.group(1)}
    )
    assert asked.status_code == 200 and "Yes, accept the offer" in asked.text
    # The confirmation form carries the token too; without it, it is refused as well.
    forged = browser_like.post(
        f"/offers/{offer}/act", data={"action": "accept", "confirmed": "yes"}
    )
    assert forged.status_code == 403
    done = browser_like.post(
        f"/offers/{offer}/act",
        data={"action": "accept", "confirmed": "yes", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=accept")
    again = browser_like.post(
        f"/offers/{offer}/act", data={"action": "accept", "csrf_token": csrf.group(1)}
    )
    assert again.status_code == 409 and "cannot accept" in again.text


def test_failed_sign_ins_are_throttled_per_address(seeded_sqlite_url: str) -> None:
    from shieldwall.access.service import sign_in
    from shieldwall.kit.errors import NotAuthenticated, Throttled
    from shieldwall.kit.settings import Settings
    from tests.conftest import NOW

    clock = FixedClock(NOW)
    ctx = open_test_platform(seeded_sqlite_url, clock, Settings(login_failures_per_address=3))
    for username in ("deu", "usa", "fra"):
        with pytest.raises(NotAuthenticated):
            sign_in(ctx, username, "wrong-password", "203.0.113.7")
    with pytest.raises(Throttled, match="this address") as throttled:
        sign_in(ctx, "nor", PASSWORD, "203.0.113.7")
    assert 0 < throttled.value.retry_after_seconds <= 15 * 60 + 1
    # Another address is not affected, and the wait ends when the window has passed.
    assert sign_in(ctx, "nor", PASSWORD, "198.51.100.1").delegation == "NOR"
    clock.advance(dt.timedelta(minutes=16))
    assert sign_in(ctx, "nor", PASSWORD, "203.0.113.7").delegation == "NOR"
    ctx.engine.dispose()
