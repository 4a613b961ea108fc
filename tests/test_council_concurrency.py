"""The council under real concurrency: many delegations stating positions and objecting on one
proposal at once, through the HTTP server, on SQLite and PostgreSQL; and two worker processes
on one PostgreSQL database running the council's deadlines at once.

The expected answers come from the README's words: a proposal is adopted only when no objection
stands; one objection under silence breaks it (and those after it are stated in discussion);
nothing answers 5xx; each change is audited once; each deadline takes effect once.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from shieldwall.audit.service import verify_chain
from shieldwall.audit.tables import AuditRecord
from shieldwall.council.tables import Outcome, Position
from shieldwall.kit.clock import FixedClock
from tests.conftest import NOW, Delegations, actor
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform
from tests.test_concurrency import Call, race

SEATED = ("ukr", "deu", "usa", "fra", "pol", "nor")


def _proposal(seeded: Context) -> int:
    proposal: int = seeded.council.table_proposal(
        actor(seeded, "sec"), title="Statement on the Black Sea", text="Allies condemn."
    )
    return proposal


def _audited(seeded: Context, action: str) -> int:
    with seeded.reading() as s:
        return int(s.scalar(select(func.count()).where(AuditRecord.action == action)) or 0)


def test_positions_and_consensus_at_once_leave_one_consistent_state(
    api: Delegations, seeded: Context
) -> None:
    proposal = _proposal(seeded)
    path = f"/api/v1/proposals/{proposal}"
    calls = []
    for round_ in range(3):
        for user in SEATED:
            stance = "object" if (round_ + len(user)) % 2 else "support"
            calls.append(Call(user, f"{path}/positions", {"stance": stance, "reason": "r"}))
        calls.append(Call("sec", f"{path}/consensus", {}))
    responses = race(api, calls)
    assert all(r.status_code < 500 for r in responses), [r.text for r in responses]
    ok = Counter(
        c.path.rsplit("/", 1)[1]
        for c, r in zip(calls, responses, strict=True)
        if r.status_code == 200
    )
    view = api.as_("sec").get(path).json()
    with seeded.reading() as s:
        outcomes = s.scalar(select(func.count()).where(Outcome.proposal_id == proposal))
        positions = s.scalar(select(func.count()).where(Position.proposal_id == proposal))
    assert ok["consensus"] <= 1
    assert (view["state"] == "adopted") == (ok["consensus"] == 1) == (outcomes == 1)
    if view["state"] == "adopted":
        # Every accepted position came before the adoption (later ones are refused), so the
        # positions as they stand are those the chair saw: none of them an objection.
        assert view["objections"] == []
    assert positions == ok["positions"] == _audited(seeded, "proposal.position")
    assert _audited(seeded, "proposal.adopt") == ok["consensus"]
    with seeded.reading() as s:
        assert verify_chain(s)[1] is None


def test_objections_under_silence_at_once_break_it_once(api: Delegations, seeded: Context) -> None:
    proposal = _proposal(seeded)
    seeded.council.circulate(actor(seeded, "sec"), proposal, deadline=NOW + dt.timedelta(days=1))
    path = f"/api/v1/proposals/{proposal}/positions"
    calls = [Call(u, path, {"stance": "object", "reason": f"{u} objects"}) for u in SEATED] * 2
    responses = race(api, calls)
    assert [r.status_code for r in responses] == [200] * len(calls)
    view = api.as_("sec").get(f"/api/v1/proposals/{proposal}").json()
    assert view["state"] == "in discussion"
    assert view["objections"] == sorted(u.upper() for u in SEATED)
    with seeded.reading() as s:
        under_silence = s.scalars(
            select(Position.stance).where(
                Position.proposal_id == proposal, Position.under_silence.is_(True)
            )
        ).all()
    assert under_silence == ["object"]  # the one that broke silence; the rest came after
    breaker = view["state_reason"].split(" ", 1)[0]
    assert breaker in {u.upper() for u in SEATED}
    assert view["state_reason"] == f"{breaker} broke silence: {breaker.lower()} objects"


WORKER = """
import datetime as dt, json, sys
from shieldwall.council import scheduled
from shieldwall.context import open_platform
from shieldwall.kit.clock import FixedClock
platform = open_platform(sys.argv[1], FixedClock(dt.datetime.fromisoformat(sys.argv[2])))
done = {"adopted": 0, "flagged": 0}
for _ in range(3):
    done["adopted"] += scheduled.adopt_silences(platform)
    done["flagged"] += scheduled.flag_late_consultations(platform)
print(json.dumps(done))
"""


@pytest.mark.postgres
def test_two_workers_on_one_postgresql_database_apply_each_deadline_once(
    pg_url: str,
) -> None:
    seeded = open_test_platform(pg_url, FixedClock(NOW))
    try:
        sec, ukr = actor(seeded, "sec"), actor(seeded, "ukr")
        for n in range(40):
            proposal = _proposal(seeded)
            deadline = NOW + dt.timedelta(minutes=n + 1)
            seeded.council.circulate(sec, proposal, deadline=deadline)
        for n in range(10):
            seeded.council.convene(
                ukr,
                title=f"Crisis {n}",
                level="ambassadors",
                crisis=True,
                reason="strike",
                hold_within_hours=1,
            )
        later = (NOW + dt.timedelta(days=1)).isoformat()
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, pg_url, later],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [json.loads(w.communicate(timeout=120)[0]) for w in workers]
        assert all(w.returncode == 0 for w in workers)
        assert sum(r["adopted"] for r in results) == 40
        assert sum(r["flagged"] for r in results) == 10
        assert _audited(seeded, "proposal.adopt") == 40
        assert _audited(seeded, "meeting.flag_late") == 10
        with seeded.reading() as s:
            assert s.scalar(select(func.count()).select_from(Outcome)) == 40
            assert verify_chain(s)[1] is None
    finally:
        seeded.engine.dispose()
