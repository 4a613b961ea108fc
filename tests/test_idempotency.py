"""Idempotency keys belong to the user who sent them and to the operation they were sent with
(DESIGN rule 6): another user's key is a new key, and a stored answer is replayed only to
someone allowed the operation. The migration gives existing keys to their authors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from shieldwall.access.model import Scope
from shieldwall.kit.db import alembic_config
from tests.conftest import Delegations, actor, problem_of
from tests.pgcluster import Cluster
from tests.platform import TestPlatform as Context
from tests.test_concurrency import OFFER, a_committed_offer, audited


def read_only_token(api: Delegations, username: str) -> str:
    secret, _info = api.context.access.issue_token(
        actor(api.context, username),
        kind="personal",
        name="read only",
        scopes=frozenset({Scope.READ}),
        expires_in=None,
    )
    return str(secret)


def test_a_key_is_its_users_own(api: Delegations, seeded: Context) -> None:
    key = {"Idempotency-Key": "shared-key-1"}
    first = api.as_("deu").post("/api/v1/offers", json=OFFER, headers=key)
    assert first.status_code == 201, first.text
    # Another delegation's user with the same key is not refused, and gets its own offer.
    usa = api.as_("usa").post("/api/v1/offers", json={**OFFER, "member": "USA"}, headers=key)
    assert usa.status_code == 201, usa.text
    assert usa.json()["id"] != first.json()["id"] and usa.json()["member"] == "USA"
    # A viewer of the same delegation replaying the request is refused, not answered.
    viewer = api.as_("deu-viewer").post("/api/v1/offers", json=OFFER, headers=key)
    assert problem_of(viewer, 403)
    # The same user with a read-only token may not write: no replay before the check.
    read_only = httpx.post(
        f"{api.server.url}/api/v1/offers",
        json=OFFER,
        headers={"Authorization": f"Bearer {read_only_token(api, 'deu')}", **key},
    )
    assert problem_of(read_only, 403)
    # The same user with the write scope gets the first answer again.
    again = api.as_("deu").post("/api/v1/offers", json=OFFER, headers=key)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert audited(seeded, "offer.make") == 2


def test_a_delivery_key_is_replayed_only_to_who_may_record(
    api: Delegations, seeded: Context
) -> None:
    offer = a_committed_offer(seeded, quantity=10)
    key = {"Idempotency-Key": "delivery-1"}
    path = f"/api/v1/offers/{offer}/deliveries"
    first = api.as_("deu").post(path, json={"quantity": 2}, headers=key)
    assert first.status_code == 201, first.text
    # The partner sees the offer but may not record its deliveries: 403, not the delivery.
    assert problem_of(api.as_("ukr").post(path, json={"quantity": 2}, headers=key), 403)
    assert problem_of(api.as_("deu-viewer").post(path, json={"quantity": 2}, headers=key), 403)
    assert api.as_("deu").post(path, json={"quantity": 2}, headers=key).json() == first.json()


# ---- the migration -------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    admin: Engine = request.getfixturevalue("pg_admin")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE sw_blank"))
    yield cluster.url("sw_blank")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE sw_blank WITH (FORCE)"))


AUDIT = (
    "INSERT INTO audit_record (id, at, actor, delegation, action, record_type, record_id, "
    "before_state, after_state, prev_hash, hash) VALUES (:id, :at, :actor, NULL, :action, "
    ":type, :record, NULL, :after, '', :hash)"
)
KEY = (
    "INSERT INTO idempotency_record (scope, key, request_hash, resource_id, created_at) "
    "VALUES (:scope, :key, 'h', :resource, :at)"
)


def test_the_migration_gives_each_key_to_its_author(blank_url: str) -> None:
    config = alembic_config(blank_url)
    command.upgrade(config, "0002")
    at = dt.datetime(2024, 4, 2, 12, 0, tzinfo=dt.UTC)
    audit = [
        (1, "deu", "offer.make", "offer", "7", None),
        (2, "ukr", "request.file", "request", "7", None),
        (3, "nor", "ledger.correct", "offer", "7", '{"entry":120,"reason":"x"}'),
        (4, "sec", "ledger.correct", "offer", "7", '{"committed":[1,2],"entry":12,"state":"x"}'),
    ]
    keys = [
        ("offer", "k1", 7),
        ("request", "k1", 7),
        ("correction", "k2", 12),
        ("delivery", "k3", 9),
    ]
    engine = create_engine(blank_url)
    with engine.begin() as conn:
        for id_, who, action, type_, record, after in audit:
            conn.execute(
                text(AUDIT),
                {
                    "id": id_,
                    "at": at,
                    "actor": who,
                    "action": action,
                    "type": type_,
                    "record": record,
                    "after": after,
                    "hash": str(id_),
                },
            )
        for scope, key, resource in keys:
            conn.execute(text(KEY), {"scope": scope, "key": key, "resource": resource, "at": at})
    command.upgrade(config, "head")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT scope, owner FROM idempotency_record")).all()
        owners = {str(scope): str(owner) for scope, owner in rows}
        # A key is unique per user and operation only: another user may send "k1" too.
        conn.execute(
            text(KEY.replace("(scope,", "(owner, scope,").replace("(:scope", "('usa', :scope")),
            {"scope": "offer", "key": "k1", "resource": 8, "at": at},
        )
    # The delivery's author is not in the log: its key is no one's, and never replayed.
    assert owners == {"offer": "deu", "request": "ukr", "correction": "sec", "delivery": ""}
    command.downgrade(config, "0002")
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT scope, key, resource_id FROM idempotency_record"))
        assert sorted(kept.all()) == sorted(keys)
    engine.dispose()
