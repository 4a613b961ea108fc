"""Control characters — NUL above all, which PostgreSQL cannot store — in every kind of text
input: API bodies, query parameters (the audit filters too), page forms, sign-in, the CLI.
Each is refused with 422 naming the field, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import httpx
import pytest

from tests.cli import run
from tests.conftest import PASSWORD, TLS, Delegations, actor, problem_of
from tests.platform import TestPlatform as Context

REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"]


def _offer(seeded: Context, state: str = "offered") -> int:
    deu, ukr = actor(seeded, "deu"), actor(seeded, "ukr")
    offer: int = seeded.assistance.make_offer(
        deu, member="DEU", kind="arm", quantity=5, item="155mm-round"
    )
    if state in ("accepted", "committed"):
        seeded.assistance.accept(ukr, offer)
    if state == "committed":
        seeded.assistance.commit(deu, offer)
    return offer


def _bodies(seeded: Context) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(user, path, field, a valid body): each field is then given a control character."""
    request = {
        "partner": "UKR",
        "title": "Kits",
        "item": "demining-kit",
        "quantity": 1,
        "justification": "fields",
        "addressees": ["DEU"],
    }
    offer = {"member": "DEU", "kind": "arm", "quantity": 1, "item": "patriot"}
    committed = _offer(seeded, "committed")
    return [
        *[("ukr", "/api/v1/requests", f, request) for f in ("partner", "title", "item")],
        ("ukr", "/api/v1/requests", "justification", request),
        ("ukr", "/api/v1/requests", "addressees", request),
        *[("deu", "/api/v1/offers", f, offer) for f in ("member", "item")],
        ("deu", "/api/v1/offers", "description", {**offer, "description": "x"}),
        ("deu", "/api/v1/offers", "conditions", {**offer, "conditions": "x"}),
        ("ukr", f"/api/v1/offers/{_offer(seeded)}/decline", "reason", {"reason": "x"}),
        ("deu", f"/api/v1/offers/{committed}/deliveries", "note", {"quantity": 1, "note": "x"}),
        (
            "sec",
            "/api/v1/ledger/corrections",
            "reason",
            {"offer_id": committed, "measure": "offered", "quantity_delta": 1, "reason": "x"},
        ),
        ("deu", "/api/v1/auth/tokens", "name", {"name": "ci"}),
    ]


def _poisoned(body: dict[str, Any], field: str, char: str) -> dict[str, Any]:
    value = body[field]
    if isinstance(value, list):
        return {**body, field: [f"D{char}EU"]}
    return {**body, field: f"{value[:1]}{char}{value[1:]}"}


def test_every_text_field_of_the_api_refuses_control_characters(
    api: Delegations, seeded: Context
) -> None:
    cases = _bodies(seeded)
    entries = api.as_("sec").get("/api/v1/ledger/entries").json()["total"]
    for user, path, field, body in cases:
        for char in ("\x00", "\x01", "\x7f"):
            response = api.as_(user).post(path, json=_poisoned(body, field, char))
            problem = problem_of(response, 422)
            assert problem["errors"][0]["field"].startswith(field), (path, field, problem)
            assert f"U+{ord(char):04X}" in problem["detail"]
    assert api.as_("sec").get("/api/v1/ledger/entries").json()["total"] == entries


def test_multi_line_fields_keep_tabs_and_line_breaks_single_line_fields_do_not(
    api: Delegations,
) -> None:
    ukr = api.as_("ukr")
    body = {"partner": "UKR", "title": "Kits", "item": "demining-kit", "quantity": 1}
    filed = ukr.post("/api/v1/requests", json={**body, "justification": "Fields\n\tand roads\r\n"})
    assert filed.status_code == 201 and filed.json()["justification"] == "Fields\n\tand roads"
    for char in ("\n", "\t", "\r"):
        refused = ukr.post(
            "/api/v1/requests", json={**body, "title": f"Ki{char}ts", "justification": "j"}
        )
        assert problem_of(refused, 422)["errors"][0]["field"] == "title"


@pytest.mark.parametrize(
    ("user", "path", "name"),
    [
        ("deu", "/api/v1/offers", "member"),
        ("deu", "/api/v1/requests", "area"),
        ("deu", "/api/v1/ledger/entries", "item"),
        ("deu", "/api/v1/ledger/summary", "group_by"),
        ("sec", "/api/v1/audit", "actor"),
        ("sec", "/api/v1/audit", "delegation"),
        ("sec", "/api/v1/audit", "record_id"),
        ("deu", "/api/v1/public/summary", "group_by"),
    ],
)
def test_query_parameters_refuse_control_characters(
    api: Delegations, user: str, path: str, name: str
) -> None:
    for char in REFUSED:
        problem = problem_of(api.as_(user).get(path, params={name: f"DE{char}U"}), 422)
        assert problem["errors"][0]["field"] == name
        assert f"U+{ord(char):04X}" in problem["detail"]


def _signed_in(api: Delegations, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(
        verify=TLS, base_url=api.server.url, timeout=30, headers={"Accept": "text/html"}
    )
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    page = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return client, csrf.group(1)


def test_page_forms_refuse_control_characters(api: Delegations, seeded: Context) -> None:
    offer = _offer(seeded)
    ukr, csrf = _signed_in(api, "ukr")
    declined = ukr.post(
        f"/offers/{offer}/act", data={"csrf_token": csrf, "action": "decline", "reason": "n\x00o"}
    )
    assert declined.status_code == 422 and "reason" in declined.text
    filed = ukr.post(
        "/requests/new",
        data={
            "csrf_token": csrf,
            "what": "item:demining-kit",
            "quantity": "2",
            "title": "Ki\x00ts",
            "justification": "fields",
        },
    )
    assert filed.status_code == 422 and "title" in filed.text and "U+0000" in filed.text
    assert "Ki" in filed.text  # what was typed is shown again
    long = ukr.post(
        "/requests/new",
        data={
            "csrf_token": csrf,
            "what": "item:demining-kit",
            "quantity": "2",
            "title": "K" * 201,
            "justification": "fields",
        },
    )
    assert long.status_code == 422 and "at most 200 characters" in long.text
    assert api.as_("ukr").get("/api/v1/requests").json() == []
    assert api.as_("ukr").get(f"/api/v1/offers/{offer}").json()["state"] == "offered"


def test_sign_in_refuses_control_characters(api: Delegations) -> None:
    token = api.anonymous.post(
        "/api/v1/auth/token", data={"username": "de\x00u", "password": PASSWORD}
    )
    assert problem_of(token, 422)["errors"][0]["field"] == "username"
    client = httpx.Client(verify=TLS, base_url=api.server.url, timeout=30)
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    signed = client.post(
        "/login", data={"username": "de\x00u", "password": PASSWORD, "csrf_token": csrf.group(1)}
    )
    assert signed.status_code == 422


def test_the_cli_refuses_control_characters(seeded_sqlite_url: str) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run(*args, "--db", seeded_sqlite_url)  # in this process

    for args in (
        ("report", "--member", "DE\x01U"),
        ("user", "add", "j\x1bsmith", "--delegation", "DEU", "--password", "twelve-chars-ok"),
        ("user", "add", "jsmith", "--delegation", "DEU", "--name", "J\x7f", "--password", "x" * 12),
        ("user", "disable", "de\x01u"),
    ):
        result = cli(*args)
        assert result.returncode == 1, args
        assert "control character" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
