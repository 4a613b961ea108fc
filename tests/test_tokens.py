"""Credentials: a password reset (or a disable) shuts out every session and token of the user;
personal tokens live at most SHIELDWALL_PERSONAL_TOKEN_MAX_DAYS; scopes are read, or read and
write; minting and revoking tokens needs write."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import text

from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.settings import Settings
from tests.cli import run
from tests.conftest import NOW, PASSWORD, SETUP, TLS, Delegations, actor, problem_of
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform


def bearer(api: Delegations, secret: str) -> httpx.Client:
    return httpx.Client(
        verify=TLS,
        base_url=api.server.url,
        timeout=30,
        headers={"Authorization": f"Bearer {secret}"},
    )


def browser(api: Delegations, username: str) -> httpx.Client:
    client = httpx.Client(verify=TLS, base_url=api.server.url, timeout=30)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    return client


def test_a_password_reset_revokes_every_session_and_token(
    api: Delegations, seeded: Context
) -> None:
    personal = api.as_("fra").post("/api/v1/auth/tokens", json={"name": "ci"}).json()["token"]
    oauth = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "fra", "password": PASSWORD}
    ).json()["access_token"]
    session = browser(api, "fra")
    holders = [bearer(api, personal), bearer(api, oauth), api.as_("fra"), session]
    assert all(h.get("/api/v1/auth/me").status_code == 200 for h in holders)
    seeded.access.reset_password(actor(seeded, "sec"), "fra", "a-brand-new-password")
    for holder in holders:
        assert holder.get("/api/v1/auth/me").status_code == 401
    listed = (
        bearer(
            api,
            api.anonymous.post(
                "/api/v1/auth/token", data={"username": "fra", "password": "a-brand-new-password"}
            ).json()["access_token"],
        )
        .get("/api/v1/auth/tokens")
        .json()
    )
    assert listed and all(t["revoked_at"] for t in listed)


def test_the_cli_reset_says_what_it_revoked(api: Delegations, seeded: Context) -> None:
    token = api.as_("nor").post("/api/v1/auth/tokens", json={"name": "ci"}).json()["token"]
    url = seeded.engine.url.render_as_string(hide_password=False)
    command = ["user", "reset-password", "nor", "--password", "another-long-password"]
    result = run(*command, "--db", url)  # in this process
    assert result.returncode == 0, result.stderr
    assert "tokens revoked" in result.stdout
    assert bearer(api, token).get("/api/v1/auth/me").status_code == 401


def test_personal_tokens_live_at_most_the_configured_days(
    api: Delegations, clock: FixedClock
) -> None:
    deu = api.as_("deu")
    default = deu.post("/api/v1/auth/tokens", json={"name": "no expiry asked"}).json()
    assert dt.datetime.fromisoformat(default["expires_at"]) == NOW + dt.timedelta(days=90)
    forever = deu.post("/api/v1/auth/tokens", json={"name": "n", "expires_in_days": None}).json()
    assert dt.datetime.fromisoformat(forever["expires_at"]) == NOW + dt.timedelta(days=90)
    body = problem_of(
        deu.post("/api/v1/auth/tokens", json={"name": "long", "expires_in_days": 91}), 422
    )
    assert body["errors"][0]["field"] == "expires_in_days" and "90 days" in body["detail"]
    clock.advance(dt.timedelta(days=90, seconds=1))
    assert bearer(api, default["token"]).get("/api/v1/auth/me").status_code == 401


def test_tokens_made_without_an_expiry_expire_as_new_ones_do(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    made = api.as_("usa").post("/api/v1/auth/tokens", json={"name": "old"}).json()
    with seeded.engine.begin() as conn:  # as tokens made before every token expired
        conn.execute(text("UPDATE api_token SET expires_at = NULL WHERE id = :id"), made)
    old = bearer(api, made["token"])
    clock.advance(dt.timedelta(days=89))
    assert old.get("/api/v1/auth/me").status_code == 200
    clock.advance(dt.timedelta(days=2))
    assert old.get("/api/v1/auth/me").status_code == 401


def test_the_maximum_lifetime_is_a_setting(seeded_sqlite_url: str) -> None:
    ctx = open_test_platform(
        seeded_sqlite_url, FixedClock(NOW), Settings(personal_token_max_days=10)
    )
    who = actor(ctx, "deu")
    _secret, info = ctx.access.issue_token(
        who, kind="personal", name="t", scopes=who.scopes, expires_in=None
    )
    assert info["expires_at"] == NOW + dt.timedelta(days=10)
    with pytest.raises(InvalidInput, match="at most 10 days"):
        ctx.access.issue_token(
            who, kind="personal", name="t", scopes=who.scopes, expires_in=dt.timedelta(days=11)
        )
    ctx.engine.dispose()


def test_write_needs_read(api: Delegations) -> None:
    body = problem_of(
        api.as_("deu").post("/api/v1/auth/tokens", json={"name": "w", "scopes": ["write"]}), 422
    )
    assert body["errors"][0]["field"] == "scopes" and "write needs read" in body["detail"]
    body = problem_of(
        api.anonymous.post(
            "/api/v1/auth/token", data={"username": "deu", "password": PASSWORD, "scope": "write"}
        ),
        422,
    )
    assert body["errors"][0]["field"] == "scope"
    both = api.as_("deu").post(
        "/api/v1/auth/tokens", json={"name": "rw", "scopes": ["read", "write"]}
    )
    assert both.status_code == 201
    made = bearer(api, both.json()["token"]).post(
        "/api/v1/offers", json={"member": "DEU", "kind": "arm", "quantity": 1, "item": "patriot"}
    )
    assert made.status_code == 201


def test_a_read_only_token_cannot_mint_or_revoke_tokens(api: Delegations) -> None:
    deu = api.as_("deu")
    other = deu.post("/api/v1/auth/tokens", json={"name": "other"}).json()
    read = deu.post("/api/v1/auth/tokens", json={"name": "read", "scopes": ["read"]}).json()
    reader = bearer(api, read["token"])
    assert reader.get("/api/v1/auth/tokens").status_code == 200
    minted = reader.post("/api/v1/auth/tokens", json={"name": "x", "scopes": ["read"]})
    assert "write scope" in problem_of(minted, 403)["detail"]
    revoked = reader.delete(f"/api/v1/auth/tokens/{other['id']}")
    assert "write scope" in problem_of(revoked, 403)["detail"]
    assert bearer(api, other["token"]).get("/api/v1/auth/me").status_code == 200


def test_a_disable_still_revokes_everything(api: Delegations, seeded: Context) -> None:
    token = api.as_("pol").post("/api/v1/auth/tokens", json={"name": "ci"}).json()["token"]
    session = browser(api, "pol")
    seeded.access.disable_user(SETUP, "pol")
    assert bearer(api, token).get("/api/v1/auth/me").status_code == 401
    assert session.get("/api/v1/auth/me").status_code == 401


def test_a_tokens_last_use_is_recorded_to_the_minute(api: Delegations, clock: FixedClock) -> None:
    """Every request with a token is a use of it, but its last use is written at most once a
    minute: a read no longer takes the write lock to note its time."""
    secret = api.token("deu")  # a personal token, listed with its last use
    holder = bearer(api, secret)

    def last_used() -> dt.datetime:
        listed = holder.get("/api/v1/auth/tokens").json()
        (mine,) = [t for t in listed if secret.startswith(t["prefix"])]
        return dt.datetime.fromisoformat(mine["last_used_at"])

    assert last_used() == NOW  # this listing is its first use
    clock.advance(dt.timedelta(seconds=59))
    assert holder.get("/api/v1/auth/me").status_code == 200
    assert last_used() == NOW
    clock.advance(dt.timedelta(seconds=1))
    assert last_used() == NOW + dt.timedelta(minutes=1)
