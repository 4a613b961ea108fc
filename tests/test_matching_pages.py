"""The clearing house's page over real HTTP, signed in as a browser is (session cookie and CSRF
token). The scene and its answer are tests/test_matching.py's, worked out there by hand:
Germany's 60 rounds and 40 of Poland's cover UKR's 100; the Patriot asked of the United States
alone is left uncovered because no addressee has one."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from shieldwall.matching import queries
from shieldwall.matching.service import run_matching
from tests.conftest import actor
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser, _forms, _text
from tests.test_matching import TODAY, add_round_b, declare, file


class Signed(dict[str, Browser]):
    def __init__(self, server: LiveServer) -> None:
        super().__init__()
        self.server = server

    def __missing__(self, username: str) -> Browser:
        self[username] = Browser(self.server, username)
        return self[username]


@pytest.fixture
def browsers(server: LiveServer) -> Iterator[Signed]:
    signed = Signed(server)
    yield signed
    for b in signed.values():
        b.client.close()


def _done(page: httpx.Response, action: str) -> None:
    assert page.status_code == 303, _text(page)[:2000]
    assert page.headers["location"] == f"/matching?done={action}"


def _finished(sec: Browser) -> str:
    """The page once the run started in the background is done (it refreshes itself every
    2 seconds while running; a person would wait as this does)."""
    for _ in range(300):
        page = sec.get("/matching")
        if 'http-equiv="refresh"' not in page.text:
            return _text(page)
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


def test_who_sees_which_forms(browsers: Signed) -> None:
    sec = browsers["sec"].get("/matching")
    assert sec.status_code == 200
    assert "No run yet." in _text(sec)
    assert _forms(sec) == {"run-form"}
    deu = browsers["deu"].get("/matching")
    assert _forms(deu) == {"declare-form"}
    assert "No proposal has been sent to your delegation." in _text(deu)
    ukr = browsers["ukr"].get("/matching")
    assert _forms(ukr) == set()
    assert "The secretariat runs the clearing house" in _text(ukr)


def test_an_empty_run_says_so(browsers: Signed) -> None:
    sec = browsers["sec"]
    _done(sec.post("/matching/act", {"action": "run"}), "run")
    text = _finished(sec)
    assert "nothing to match: no open request in units, or no availability declared" in text


def test_declare_run_send_and_confirm_on_the_page(browsers: Signed, seeded: Context) -> None:
    add_round_b(seeded)
    file(seeded, "155mm-round", 100, "critical", None)
    file(seeded, "patriot", 1, "high", ["USA"])
    declare(seeded, "POL", "155mm-round-b", 50, TODAY.replace(day=12))
    declare(seeded, "NOR", "patriot", 1)
    deu = browsers["deu"]
    typed = {"action": "declare", "item": "155mm-round", "available_from": TODAY.isoformat()}
    bad = deu.post("/matching/act", {**typed, "quantity": "sixty"})
    assert bad.status_code == 422
    assert "Quantity: give a whole number, like 3" in _text(bad)
    assert 'name="quantity" required inputmode="numeric" value="sixty" aria-invalid="true"' in (
        bad.text
    )
    _done(deu.post("/matching/act", {**typed, "quantity": "60"}), "declare")
    assert "Availability declared." in _text(deu.get("/matching?done=declare"))
    sec = browsers["sec"]
    _done(sec.post("/matching/act", {"action": "run", "time_limit_seconds": "10"}), "run")
    text = _finished(sec)
    assert "matched" in text
    assert "the item asked for" in text and "the member's available quantity is used up" in text
    assert "a compatible item (tag 155mm)" in text and "the request needed no more" in text
    assert "no member the request is addressed to has a compatible item" in text
    assert "Send 2 proposals to their members" in text
    page = sec.get("/matching")
    run_id = page.text.split('name="run_id" value="')[1].split('"')[0]
    _done(sec.post("/matching/act", {"action": "send", "run_id": run_id}), "send")
    mine = deu.get("/matching")
    assert _forms(mine) >= {"declare-form"}
    answer = [f for f in _forms(mine) if f.startswith("answer-")]
    assert len(answer) == 1, _forms(mine)
    proposal = answer[0].removeprefix("answer-")
    _done(deu.post("/matching/act", {"action": "confirm", "proposal_id": proposal}), "confirm")
    after = _text(deu.get("/matching?done=confirm"))
    assert "Confirmed: the proposal is now your offer." in after
    assert "offer #1" in after and "0 / 60" in after


def test_withdraw_a_line_on_the_page_after_confirming(browsers: Signed, seeded: Context) -> None:
    file(seeded, "155mm-round", 100, "critical", None)
    line = declare(seeded, "DEU", "155mm-round", 60)
    sec = actor(seeded, "sec")
    run_id = seeded.matching.start_run(sec, time_limit_seconds=10)
    run_matching(seeded, sec, run_id)
    assert seeded.matching.send_run(sec, run_id) == 1
    deu = browsers["deu"]
    assert f"withdraw-{line}" in _forms(deu.get("/matching"))
    # Another member does not see Germany's line: not found, nothing said of it.
    unseen = browsers["usa"].post("/matching/act", {"action": "withdraw", "line_id": str(line)})
    assert unseen.status_code == 404
    asked = deu.post(
        "/matching/act", {"action": "withdraw", "line_id": str(line), "reason": "needed at home"}
    )
    assert asked.status_code == 200
    text = _text(asked)
    assert f"Withdraw availability line {line}?" in text
    assert (
        "Its 1 pending proposal will be cancelled." in text and "Nothing has changed yet." in text
    )
    assert f"withdraw-{line}" in _forms(deu.get("/matching"))  # not withdrawn yet
    confirmed = {
        "action": "withdraw",
        "line_id": str(line),
        "reason": "needed at home",
        "confirmed": "yes",
    }
    _done(deu.post("/matching/act", confirmed), "withdraw")
    after = deu.get("/matching?done=withdraw")
    assert "its pending proposals were cancelled" in _text(after)
    assert "needed at home" in _text(after) and f"withdraw-{line}" not in _forms(after)
    with seeded.reading() as s:
        assert [p["state"] for p in queries.proposals(s, sec)] == ["cancelled"]
