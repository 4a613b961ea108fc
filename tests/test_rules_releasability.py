"""The releasability ladder, in Python (``access.model.may_see``) and in SQL
(``access.ladder.readable``), held to one table of answers written out by hand.

README, "Who may see and do what": every record says who may see it — `own` (its delegation
and the secretariat), `partner`, `addressees`, `members`, `council`, `public` — each level
adding readers to the one before. The SQL is compiled against a tiny table of records in an
in-memory SQLite database built here: no platform, no migrations, milliseconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    or_,
    select,
)

from shieldwall.access import ladder
from shieldwall.access.model import PUBLIC, SYSTEM, Actor, Releasability, Role, may_see
from shieldwall.delegations.model import DelegationKind

# Delegations of a small council, by id; EUU is a contributor outside it.
SEC, UKR, MDA, DEU, USA, FRA, EUU = 1, 2, 3, 4, 5, 6, 7
MEMBERS = (DEU, USA, FRA)


def member(code: str, delegation_id: int, role: Role = Role.OFFICER) -> Actor:
    return Actor(
        code.lower(),
        delegation=code,
        delegation_id=delegation_id,
        delegation_kind=DelegationKind.MEMBER,
        role=role,
    )


def partner(code: str, delegation_id: int) -> Actor:
    return Actor(
        code.lower(),
        delegation=code,
        delegation_id=delegation_id,
        delegation_kind=DelegationKind.PARTNER,
        role=Role.HEAD_OF_DELEGATION,
    )


READER: dict[str, Actor] = {
    "sec": Actor(
        "sec", delegation="SEC", delegation_id=SEC, delegation_kind=DelegationKind.SECRETARIAT
    ),
    "system": SYSTEM,
    "public": PUBLIC,
    "ukr": partner("UKR", UKR),
    "mda": partner("MDA", MDA),  # a partner of the council, not the one concerned
    "deu": member("DEU", DEU),
    "deu-viewer": member("DEU", DEU, Role.VIEWER),  # roles do not change what one sees
    "usa": member("USA", USA),
    "fra": member("FRA", FRA),
    # A contributor (the EU): outside the council, it reads its own records and public ones.
    "euu": Actor(
        "euu",
        delegation="EUU",
        delegation_id=EUU,
        delegation_kind=DelegationKind.CONTRIBUTOR,
        role=Role.OFFICER,
    ),
}

LEVELS = (
    Releasability.OWN,
    Releasability.PARTNER,
    Releasability.ADDRESSEES,
    Releasability.MEMBERS,
    Releasability.COUNCIL,
    Releasability.PUBLIC,
)
Y, N = True, False
Row = tuple[bool, bool, bool, bool, bool, bool]


class Record(NamedTuple):
    owner: int
    partner: int
    addressees: frozenset[int]
    to_all_members: bool = False


# An offer: made by DEU to UKR, answering a request addressed to USA.
OFFER = Record(owner=DEU, partner=UKR, addressees=frozenset({USA}))
# fmt: off
OFFER_SEEN_BY: dict[str, Row] = {
    #              own partner addressees members council public
    "sec":        (Y,  Y,      Y,         Y,      Y,      Y),  # the secretariat sees all
    "system":     (Y,  Y,      Y,         Y,      Y,      Y),  # so does the platform itself
    "public":     (N,  N,      N,         N,      N,      Y),
    "deu":        (Y,  Y,      Y,         Y,      Y,      Y),  # its own delegation
    "deu-viewer": (Y,  Y,      Y,         Y,      Y,      Y),
    "ukr":        (N,  Y,      Y,         Y,      Y,      Y),  # the partner concerned
    "usa":        (N,  N,      Y,         Y,      Y,      Y),  # an addressee
    "fra":        (N,  N,      N,         Y,      Y,      Y),  # another member
    "mda":        (N,  N,      N,         N,      Y,      Y),  # another delegation
    "euu":        (N,  N,      N,         N,      N,      Y),  # outside the council
}
# fmt: on

# A request: filed by UKR (its owner and the partner concerned), addressed to DEU.
REQUEST = Record(owner=UKR, partner=UKR, addressees=frozenset({DEU}))
# fmt: off
REQUEST_SEEN_BY: dict[str, Row] = {
    #              own partner addressees members council public
    "sec":        (Y,  Y,      Y,         Y,      Y,      Y),
    "system":     (Y,  Y,      Y,         Y,      Y,      Y),
    "public":     (N,  N,      N,         N,      N,      Y),
    "ukr":        (Y,  Y,      Y,         Y,      Y,      Y),  # its own delegation
    "deu":        (N,  N,      Y,         Y,      Y,      Y),  # an addressee
    "deu-viewer": (N,  N,      Y,         Y,      Y,      Y),
    "usa":        (N,  N,      N,         Y,      Y,      Y),  # another member
    "fra":        (N,  N,      N,         Y,      Y,      Y),
    "mda":        (N,  N,      N,         N,      Y,      Y),  # another delegation
    "euu":        (N,  N,      N,         N,      N,      Y),
}
# fmt: on

# A request filed by UKR to all members: every member is an addressee, and only members are.
REQUEST_TO_ALL = Record(owner=UKR, partner=UKR, addressees=frozenset(), to_all_members=True)
# fmt: off
REQUEST_TO_ALL_SEEN_BY: dict[str, Row] = {
    #              own partner addressees members council public
    "sec":        (Y,  Y,      Y,         Y,      Y,      Y),
    "system":     (Y,  Y,      Y,         Y,      Y,      Y),
    "public":     (N,  N,      N,         N,      N,      Y),
    "ukr":        (Y,  Y,      Y,         Y,      Y,      Y),  # its own delegation
    "deu":        (N,  N,      Y,         Y,      Y,      Y),  # every member is addressed
    "deu-viewer": (N,  N,      Y,         Y,      Y,      Y),
    "usa":        (N,  N,      Y,         Y,      Y,      Y),
    "fra":        (N,  N,      Y,         Y,      Y,      Y),
    "mda":        (N,  N,      N,         N,      Y,      Y),  # a partner is never addressed
    "euu":        (N,  N,      N,         N,      N,      Y),  # nor is a contributor
}
# fmt: on

# A record type that has no addressees (a feature passes no ``addressed`` condition): at
# `addressees` only its delegation, the partner and the secretariat see it.
# fmt: off
UNADDRESSED_SEEN_BY: dict[str, Row] = {
    #              own partner addressees members council public
    "sec":        (Y,  Y,      Y,         Y,      Y,      Y),
    "system":     (Y,  Y,      Y,         Y,      Y,      Y),
    "public":     (N,  N,      N,         N,      N,      Y),
    "deu":        (Y,  Y,      Y,         Y,      Y,      Y),
    "deu-viewer": (Y,  Y,      Y,         Y,      Y,      Y),
    "ukr":        (N,  Y,      Y,         Y,      Y,      Y),
    "usa":        (N,  N,      N,         Y,      Y,      Y),  # no one is addressed
    "fra":        (N,  N,      N,         Y,      Y,      Y),
    "mda":        (N,  N,      N,         N,      Y,      Y),
    "euu":        (N,  N,      N,         N,      N,      Y),
}
# fmt: on

# An offer (or an instrument) of the contributor EUU to UKR: its own at every level.
CONTRIBUTED = Record(owner=EUU, partner=UKR, addressees=frozenset())
# fmt: off
CONTRIBUTED_SEEN_BY: dict[str, Row] = {
    #              own partner addressees members council public
    "sec":        (Y,  Y,      Y,         Y,      Y,      Y),
    "system":     (Y,  Y,      Y,         Y,      Y,      Y),
    "public":     (N,  N,      N,         N,      N,      Y),
    "deu":        (N,  N,      N,         Y,      Y,      Y),  # a member, from `members` on
    "deu-viewer": (N,  N,      N,         Y,      Y,      Y),
    "ukr":        (N,  Y,      Y,         Y,      Y,      Y),  # the partner concerned
    "usa":        (N,  N,      N,         Y,      Y,      Y),
    "fra":        (N,  N,      N,         Y,      Y,      Y),
    "mda":        (N,  N,      N,         N,      Y,      Y),
    "euu":        (Y,  Y,      Y,         Y,      Y,      Y),  # its own
}
# fmt: on


def levels_seen(row: Row) -> set[Releasability]:
    return {level for level, sees in zip(LEVELS, row, strict=True) if sees}


def test_the_tables_answer_for_every_reader() -> None:
    for table in (
        OFFER_SEEN_BY,
        REQUEST_SEEN_BY,
        REQUEST_TO_ALL_SEEN_BY,
        UNADDRESSED_SEEN_BY,
        CONTRIBUTED_SEEN_BY,
    ):
        assert table.keys() == READER.keys()


# ---- the ladder in Python -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "table"),
    [(OFFER, OFFER_SEEN_BY), (REQUEST, REQUEST_SEEN_BY), (CONTRIBUTED, CONTRIBUTED_SEEN_BY)],
    ids=["offer", "request", "contributed"],
)
@pytest.mark.parametrize("reader", list(READER))
def test_may_see(record: Record, table: dict[str, Row], reader: str) -> None:
    seen = {
        level
        for level in LEVELS
        if may_see(
            READER[reader], level, record.owner, record.partner, addressee_ids=record.addressees
        )
    }
    assert seen == levels_seen(table[reader])


@pytest.mark.parametrize("reader", list(READER))
def test_may_see_without_addressees(reader: str) -> None:
    seen = {level for level in LEVELS if may_see(READER[reader], level, DEU, UKR)}
    assert seen == levels_seen(UNADDRESSED_SEEN_BY[reader])


# ---- the ladder in SQL ----------------------------------------------------------------------

metadata = MetaData()
record_table = Table(
    "record",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String, nullable=False),
    Column("level", String, nullable=False),
    Column("owner_id", Integer, nullable=False),
    Column("partner_id", Integer, nullable=False),
    Column("to_all_members", Boolean, nullable=False, default=False),
)
addressee_table = Table(
    "addressee",
    metadata,
    Column("record_id", Integer, nullable=False),
    Column("delegation_id", Integer, nullable=False),
)


def addressed(reader: Actor) -> ColumnElement[bool]:
    """The record is addressed to all members, or names the reader's delegation (as the
    assistance feature describes its requests)."""
    return or_(
        record_table.c.to_all_members.is_(True),
        record_table.c.id.in_(
            select(addressee_table.c.record_id).where(
                addressee_table.c.delegation_id == reader.delegation_id
            )
        ),
    )


@pytest.fixture(scope="module")
def db() -> Iterator[Connection]:
    """An offer, a request and a request to all members at every level, in an in-memory
    SQLite database."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        metadata.create_all(conn)
        next_id = itertools.count(1)
        for kind, record in (
            ("offer", OFFER),
            ("request", REQUEST),
            ("request to all", REQUEST_TO_ALL),
            ("contributed", CONTRIBUTED),
        ):
            for level in LEVELS:
                record_id = next(next_id)
                conn.execute(
                    record_table.insert().values(
                        id=record_id,
                        kind=kind,
                        level=level.value,
                        owner_id=record.owner,
                        partner_id=record.partner,
                        to_all_members=record.to_all_members,
                    )
                )
                for delegation_id in record.addressees:
                    conn.execute(
                        addressee_table.insert().values(
                            record_id=record_id, delegation_id=delegation_id
                        )
                    )
        yield conn
    engine.dispose()


def readable_levels(
    conn: Connection, reader: Actor, kind: str, *, with_addressees: bool = True
) -> set[Releasability]:
    condition = ladder.readable(
        reader,
        level=record_table.c.level,
        owner=record_table.c.owner_id,
        partner=record_table.c.partner_id,
        addressed=addressed(reader) if with_addressees else None,
    )
    rows = conn.execute(
        select(record_table.c.level).where(record_table.c.kind == kind).where(condition)
    )
    return {Releasability(level) for (level,) in rows}


@pytest.mark.parametrize("reader", list(READER))
def test_readable_offers_in_sql(db: Connection, reader: str) -> None:
    assert readable_levels(db, READER[reader], "offer") == levels_seen(OFFER_SEEN_BY[reader])


@pytest.mark.parametrize("reader", list(READER))
def test_readable_requests_in_sql(db: Connection, reader: str) -> None:
    assert readable_levels(db, READER[reader], "request") == levels_seen(REQUEST_SEEN_BY[reader])


@pytest.mark.parametrize("reader", list(READER))
def test_readable_requests_to_all_members_in_sql(db: Connection, reader: str) -> None:
    seen = readable_levels(db, READER[reader], "request to all")
    assert seen == levels_seen(REQUEST_TO_ALL_SEEN_BY[reader])


@pytest.mark.parametrize("reader", list(READER))
def test_readable_contributed_in_sql(db: Connection, reader: str) -> None:
    seen = readable_levels(db, READER[reader], "contributed", with_addressees=False)
    assert seen == levels_seen(CONTRIBUTED_SEEN_BY[reader])


@pytest.mark.parametrize("reader", list(READER))
def test_readable_without_addressees_in_sql(db: Connection, reader: str) -> None:
    seen = readable_levels(db, READER[reader], "offer", with_addressees=False)
    assert seen == levels_seen(UNADDRESSED_SEEN_BY[reader])


# `at_least(column, level)`: the level or any wider one, in the ladder's order.
AT_LEAST: dict[Releasability, set[str]] = {
    Releasability.OWN: {"own", "partner", "addressees", "members", "council", "public"},
    Releasability.PARTNER: {"partner", "addressees", "members", "council", "public"},
    Releasability.ADDRESSEES: {"addressees", "members", "council", "public"},
    Releasability.MEMBERS: {"members", "council", "public"},
    Releasability.COUNCIL: {"council", "public"},
    Releasability.PUBLIC: {"public"},
}


@pytest.mark.parametrize("level", LEVELS)
def test_at_least(db: Connection, level: Releasability) -> None:
    rows = db.execute(
        select(record_table.c.level)
        .where(record_table.c.kind == "offer")
        .where(ladder.at_least(record_table.c.level, level))
    )
    assert {value for (value,) in rows} == AT_LEAST[level]


# Only member delegations are ever addressees of a record.
MAY_BE_ADDRESSED: dict[str, bool] = {
    "sec": False,
    "system": False,
    "public": False,
    "ukr": False,
    "mda": False,
    "deu": True,
    "deu-viewer": True,
    "usa": True,
    "fra": True,
    "euu": False,
}


@pytest.mark.parametrize("reader", list(READER))
def test_may_be_addressed(reader: str) -> None:
    assert ladder.may_be_addressed(READER[reader]) is MAY_BE_ADDRESSED[reader]


def test_a_member_without_a_delegation_id_is_never_addressed() -> None:
    nowhere = Actor("ghost", delegation_kind=DelegationKind.MEMBER, role=Role.OFFICER)
    assert ladder.may_be_addressed(nowhere) is False


def test_a_signed_in_user_without_a_delegation_reads_only_public_rows(db: Connection) -> None:
    nowhere = Actor("ghost", role=Role.OFFICER)
    assert readable_levels(db, nowhere, "offer") == {Releasability.PUBLIC}
    assert may_see(nowhere, Releasability.COUNCIL, DEU, UKR) is False


# ---- the two agree everywhere ---------------------------------------------------------------


def test_sql_and_python_agree_on_every_combination() -> None:
    """Every level × owner × partner × set of member addressees, for every reader: the rows
    the SQL returns are exactly those ``may_see`` allows (both held above to the tables)."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        metadata.create_all(conn)
        shapes: dict[int, tuple[Releasability, int, int, frozenset[int]]] = {}
        subsets = [
            frozenset(c)
            for n in range(len(MEMBERS) + 1)
            for c in itertools.combinations(MEMBERS, n)
        ]
        combos = itertools.product(LEVELS, (UKR, MDA, EUU, *MEMBERS), (UKR, MDA), subsets)
        for record_id, (level, owner, partner_id, addressees) in enumerate(combos, start=1):
            shapes[record_id] = (level, owner, partner_id, addressees)
            conn.execute(
                record_table.insert().values(
                    id=record_id,
                    kind="any",
                    level=level.value,
                    owner_id=owner,
                    partner_id=partner_id,
                )
            )
            for delegation_id in addressees:
                conn.execute(
                    addressee_table.insert().values(
                        record_id=record_id, delegation_id=delegation_id
                    )
                )
        assert len(shapes) == 6 * 6 * 2 * 8
        for name, reader in READER.items():
            condition = ladder.readable(
                reader,
                level=record_table.c.level,
                owner=record_table.c.owner_id,
                partner=record_table.c.partner_id,
                addressed=addressed(reader),
            )
            in_sql = set(conn.scalars(select(record_table.c.id).where(condition)))
            in_python = {i for i, shape in shapes.items() if may_see(reader, *shape)}
            assert in_sql == in_python, name
    engine.dispose()
