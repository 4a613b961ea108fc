"""The audit chain: every change is recorded; any edit, deletion, reordering or insertion of
a record is detected and the first bad record named."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shieldwall.audit.service import ChainBreak, verify_chain
from tests.cli import run
from tests.conftest import actor
from tests.platform import TestPlatform as Context


@pytest.fixture
def audited(ctx: Context) -> Context:
    offer = ctx.assistance.make_offer(
        actor(ctx, "deu"), member="DEU", kind="arm", quantity=5, item="patriot"
    )
    ctx.assistance.accept(actor(ctx, "ukr"), offer)
    return ctx


def verify(ctx: Context) -> tuple[int, ChainBreak | None]:
    with ctx.reading() as s:
        return verify_chain(s)


def tamper(ctx: Context, *statements: str) -> None:
    with ctx.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_untouched_log_verifies_and_records_every_change(audited: Context) -> None:
    count, broken = verify(audited)
    assert broken is None
    with audited.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_record ORDER BY id"))]
    assert actions[-2:] == ["offer.make", "offer.accept"]
    with audited.engine.connect() as conn:
        last = conn.execute(text("SELECT actor, delegation FROM audit_record ORDER BY id DESC"))
        assert tuple(last.first() or ()) == ("ukr", "UKR")
    assert count == len(actions)


def test_edit_is_detected(audited: Context) -> None:
    tamper(audited, "UPDATE audit_record SET actor = 'someone else' WHERE id = 5")
    _count, broken = verify(audited)
    assert broken is not None and broken.record_id == 5 and "hash" in broken.problem


def test_deletion_is_detected(audited: Context) -> None:
    tamper(audited, "DELETE FROM audit_record WHERE id = 4")
    _count, broken = verify(audited)
    assert broken is not None and broken.record_id == 5


def test_reordering_is_detected(audited: Context) -> None:
    tamper(
        audited,
        "UPDATE audit_record SET id = -1 WHERE id = 3",
        "UPDATE audit_record SET id = 3 WHERE id = 4",
        "UPDATE audit_record SET id = 4 WHERE id = -1",
    )
    _count, broken = verify(audited)
    assert broken is not None and broken.record_id == 3


def test_insertion_is_detected(audited: Context) -> None:
    tamper(
        audited,
        "UPDATE audit_record SET id = id + 1000 WHERE id >= 6",
        "UPDATE audit_record SET id = id - 999 WHERE id >= 1006",
        "INSERT INTO audit_record (id, at, actor, delegation, action, record_type, record_id,"
        " prev_hash, hash) SELECT 6, at, actor, delegation, 'offer.accept', record_type,"
        " record_id, hash, 'forged' FROM audit_record WHERE id = 5",
    )
    _count, broken = verify(audited)
    assert broken is not None and broken.record_id == 6


def test_cli_prints_ok_or_the_first_broken_link(audited: Context, database_url: str) -> None:
    command = ("audit", "verify", "--db", database_url)
    ok = run(*command)
    assert ok.returncode == 0 and ok.stdout.startswith("OK")
    tamper(audited, "UPDATE audit_record SET after_state = '{}' WHERE id = 2")
    bad = run(*command)
    assert bad.returncode == 1
    assert "audit record 2" in bad.stderr and "Traceback" not in bad.stderr
