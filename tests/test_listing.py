"""The listing kit: the query string read into a view, and the SQL it runs, on a real SQLite
table of ten rows whose expected orders and counts are written out here by hand."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pytest
from sqlalchemy import Column as SqlColumn
from sqlalchemy import Date, Engine, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.orm import Session

from shieldwall.kit.db import UTCDateTime
from shieldwall.kit.i18n import using_locale
from shieldwall.kit.listing import (
    Column,
    Filter,
    FilterKind,
    Listing,
    ListingError,
    Option,
    escape_like,
    export_response,
)

metadata = MetaData()
thing = Table(
    "thing",
    metadata,
    SqlColumn("id", Integer, primary_key=True),
    SqlColumn("name", String(40)),
    SqlColumn("colour", String(10)),
    SqlColumn("size", Integer),
    SqlColumn("day", Date),
    SqlColumn("at", UTCDateTime),
)

ROWS = [
    # id, name, colour, size, day, at (UTC)
    (1, "Alpha", "red", 5, dt.date(2024, 1, 10), dt.datetime(2024, 1, 10, 23, 0, tzinfo=dt.UTC)),
    (2, "bravo", "blue", 3, dt.date(2024, 2, 1), dt.datetime(2024, 2, 1, 0, 0, tzinfo=dt.UTC)),
    (3, "Charlie 100%", "red", 5, None, dt.datetime(2024, 2, 2, 12, 0, tzinfo=dt.UTC)),
    (4, "delta_x", "green", 1, dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 8, 0, tzinfo=dt.UTC)),
    (5, "deltaxx", "blue", 8, dt.date(2024, 3, 6), dt.datetime(2024, 3, 6, 8, 0, tzinfo=dt.UTC)),
    (6, "Echo", "red", None, dt.date(2024, 4, 1), dt.datetime(2024, 4, 1, 8, 0, tzinfo=dt.UTC)),
    (7, "Foxtrot", "blue", 2, dt.date(2024, 4, 2), dt.datetime(2024, 4, 2, 8, 0, tzinfo=dt.UTC)),
    (8, "golf", "green", 5, dt.date(2024, 5, 1), dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.UTC)),
    (9, "Hotel", "red", 9, dt.date(2024, 6, 1), dt.datetime(2024, 6, 1, 8, 0, tzinfo=dt.UTC)),
    (10, "India", "blue", 4, dt.date(2024, 7, 1), dt.datetime(2024, 7, 1, 8, 0, tzinfo=dt.UTC)),
]

COLOURS = (Option("red", "Red"), Option("blue", "Blue"), Option("green", "Green"))

THINGS = Listing(
    path="/things",
    name="things",
    tiebreak=thing.c.id,
    columns=(
        Column("id", "Thing", thing.c.id, numeric=True),
        Column("name", "Handle", thing.c.name),
        Column("size", "Size", thing.c.size, numeric=True),
        Column("day", "Day", thing.c.day),
        Column("note", "Note"),  # not sortable
    ),
    filters=(
        Filter("colour", "Colour", thing.c.colour, options=COLOURS),
        Filter("day_from", "Day from", thing.c.day, FilterKind.DATE_FROM),
        Filter("day_to", "Day to", thing.c.day, FilterKind.DATE_TO),
        Filter("at_from", "Seen from", thing.c.at, FilterKind.DATE_FROM),
        Filter("at_to", "Seen to", thing.c.at, FilterKind.DATE_TO),
        Filter("name", "Name contains", thing.c.name, FilterKind.TEXT),
    ),
    search=(thing.c.name, thing.c.colour),
    default_sort="id",
    page_size=3,
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as c:
        c.execute(thing.insert(), [dict(zip(thing.c.keys(), r, strict=True)) for r in ROWS])
    yield engine
    engine.dispose()


def ids(engine: Engine, query: dict[str, str]) -> list[int]:
    """Every id of the view, in its order (not paged)."""
    view = THINGS.parse(query)
    with Session(engine) as s:
        return [row.id for row in view.all(s, select(thing))]


# ---- reading the query string ---------------------------------------------------------------


def test_an_empty_query_is_the_default_view() -> None:
    view = THINGS.parse({})
    assert (view.sort_key, view.descending, view.page, view.search) == ("id", False, 1, "")
    assert view.values == {} and not view.narrowed
    assert view.href() == "/things"


def test_empty_parameters_filter_nothing() -> None:
    view = THINGS.parse({"colour": "", "day_from": " ", "q": "", "sort": "", "page": ""})
    assert view.values == {} and view.page == 1 and view.sort_key == "id"


@pytest.mark.parametrize(
    ("query", "parameter", "words"),
    [
        ({"sort": "colour"}, "sort", "Sort by (sort): there is no column 'colour' to sort by"),
        ({"sort": "-note"}, "sort", "there is no column 'note'"),
        ({"day_from": "2024-13-01"}, "day_from", "Day from (day_from): '2024-13-01' is not a day"),
        ({"at_to": "20240101"}, "at_to", "Seen to (at_to): '20240101' is not a day"),
        ({"colour": "purple"}, "colour", "Colour (colour): 'purple' is not one of the choices"),
        ({"page": "0"}, "page", "Page (page): '0' is not a page number"),
        ({"page": "2.5"}, "page", "'2.5' is not a page number"),
        ({"page": "-1"}, "page", "'-1' is not a page number"),
        ({"format": "pdf"}, "format", "Download (format): 'pdf' is not a download format"),
        ({"q": "x" * 201}, "q", "Search (q): write at most 200 characters"),
    ],
)
def test_a_bad_parameter_is_refused_by_name_and_label(
    query: dict[str, str], parameter: str, words: str
) -> None:
    with pytest.raises(ListingError) as caught:
        THINGS.parse(query)
    assert caught.value.status == 422
    assert caught.value.parameter == parameter
    assert words in caught.value.detail
    assert caught.value.extra["errors"][0]["field"] == parameter


def test_the_error_is_written_in_the_viewers_language() -> None:
    with using_locale("fr"), pytest.raises(ListingError) as caught:
        THINGS.parse({"sort": "colour"})
    assert caught.value.detail.startswith("Trier par (sort) :")


def test_a_query_with_empty_parameters_is_untidy() -> None:
    query = {"colour": "red", "q": "", "day_from": "", "done": ""}
    view = THINGS.parse(query)
    assert not view.is_tidy(query)
    assert view.href() == "/things?colour=red"
    assert view.is_tidy({"colour": "red", "done": ""})  # a page's own parameter is its own


def test_the_view_as_typed_keeps_the_text_and_filters_nothing() -> None:
    typed = THINGS.parse({}).listing.as_typed({"colour": "purple", "q": " x ", "sort": "bad"})
    assert typed.values == {"colour": "purple"} and typed.search == "x"
    assert typed.matches == {} and typed.sort_key == "id" and typed.page == 1


def test_options_given_at_parse_time_replace_the_declared_ones() -> None:
    view = THINGS.parse({"colour": "teal"}, options={"colour": [Option("teal", "Teal", "red")]})
    assert view.matches == {"colour": "red"}  # the option's match is what the column holds
    with pytest.raises(ListingError):
        THINGS.parse({"colour": "red"}, options={"colour": [Option("teal", "Teal")]})


# ---- the SQL --------------------------------------------------------------------------------


def test_sorting_each_way_with_nulls_last_and_the_id_breaking_ties(engine: Engine) -> None:
    assert ids(engine, {}) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    # sizes: 1→5, 2→3, 3→5, 4→1, 5→8, 6→none, 7→2, 8→5, 9→9, 10→4
    assert ids(engine, {"sort": "size"}) == [4, 7, 2, 10, 1, 3, 8, 5, 9, 6]
    assert ids(engine, {"sort": "-size"}) == [9, 5, 8, 3, 1, 10, 2, 7, 4, 6]
    assert ids(engine, {"sort": "-day"})[-1] == 3  # the row with no day comes last both ways
    assert ids(engine, {"sort": "day"})[-1] == 3


def test_choice_text_and_date_filters(engine: Engine) -> None:
    assert ids(engine, {"colour": "blue"}) == [2, 5, 7, 10]
    assert ids(engine, {"name": "DELTA"}) == [4, 5]
    assert ids(engine, {"day_from": "2024-03-06", "day_to": "2024-05-01"}) == [5, 6, 7, 8]
    # Instants: "to" takes the whole UTC day, "from" starts at its midnight.
    assert ids(engine, {"at_to": "2024-02-01"}) == [1, 2]
    assert ids(engine, {"at_from": "2024-02-02", "at_to": "2024-02-02"}) == [3]
    assert ids(engine, {"colour": "red", "sort": "-size"}) == [
        9,
        3,
        1,
        6,
    ]  # ties: id, descending too


def test_search_is_case_insensitive_and_takes_wildcards_literally(engine: Engine) -> None:
    assert ids(engine, {"q": "alpha"}) == [1]
    assert ids(engine, {"q": "RED"}) == [1, 3, 6, 9]  # the colour column is searched too
    assert ids(engine, {"q": "delta_"}) == [4]  # "_" is not "any character": not deltaxx
    assert ids(engine, {"q": "100%"}) == [3]
    assert ids(engine, {"q": "%"}) == [3]
    assert ids(engine, {"q": "red o"}) == [6, 9]  # every word must match: red, with an o
    assert escape_like(r"a\b_c%") == r"a\\b\_c\%"


def test_a_page_and_a_page_past_the_end(engine: Engine) -> None:
    with Session(engine) as s:
        shown = THINGS.parse({"page": "2", "sort": "-id"}).fetch(s, select(thing))
        assert (shown.total, shown.page, shown.pages) == (10, 2, 4)
        assert [r.id for r in shown.rows] == [7, 6, 5]
        past = THINGS.parse({"page": "11", "colour": "blue"}).fetch(s, select(thing))
        assert (past.total, past.page, past.pages) == (4, 2, 2)
        assert [r.id for r in past.rows] == [10]
        assert past.next_href is None
        assert past.previous_href == "/things?colour=blue"
        none = THINGS.parse({"colour": "green", "q": "zzz"}).fetch(s, select(thing))
        assert (none.total, none.page, none.pages, none.rows) == (0, 1, 1, [])


# ---- the links ------------------------------------------------------------------------------


def test_links_keep_the_rest_of_the_view() -> None:
    view = THINGS.parse({"colour": "red", "q": "a b", "sort": "-size", "page": "2", "done": "x"})
    assert view.href() == "/things?colour=red&q=a+b&sort=-size&page=2"
    # Sorting again by the sorted column reverses it, from the first page.
    assert view.sort_href("size") == "/things?colour=red&q=a+b&sort=size"
    assert view.sort_href("name") == "/things?colour=red&q=a+b&sort=name"
    assert view.sort_href("id") == "/things?colour=red&q=a+b"  # the default sort is left out
    assert view.aria_sort("size") == "descending" and view.aria_sort("name") is None
    assert view.page_href(3) == "/things?colour=red&q=a+b&sort=-size&page=3"
    assert view.page_href(1) == "/things?colour=red&q=a+b&sort=-size"
    assert view.export_href("xlsx") == "/things?colour=red&q=a+b&sort=-size&format=xlsx"
    assert view.clear_href == "/things?sort=-size"
    assert THINGS.parse({"colour": "red"}).clear_href == "/things"


# ---- downloads ------------------------------------------------------------------------------


async def _body(response: object) -> bytes:
    chunks = []
    async for chunk in response.body_iterator:  # type: ignore[attr-defined]
        chunks.append(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
    return b"".join(chunks)


def body_of(response: object) -> bytes:
    """The streamed body, read in a thread of its own: once Playwright's sync API has started on
    this worker (a browser test ran before), its event loop runs in the main thread and
    ``anyio.run`` there is refused."""
    import anyio

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, _body, response).result()


EXPORT_ROWS = [
    {"id": 9, "name": "=Hotel", "size": 9, "day": dt.date(2024, 6, 1), "note": "ok"},
    {"id": 1, "name": "Alpha", "size": None, "day": None, "note": ""},
]


def test_csv_download_labels_its_columns_in_the_viewers_language() -> None:
    view = THINGS.parse({"sort": "-size"})
    with using_locale("fr"):
        response = export_response(view, EXPORT_ROWS, "csv")
    assert response.headers["content-disposition"] == 'attachment; filename="things.csv"'
    text = body_of(response).decode("utf-8")
    assert text.splitlines() == [
        "\ufeffThing,Handle,Size,Day,Note",  # labels without a translation stay as written
        "9,'=Hotel,9,2024-06-01,ok",
        "1,Alpha,,,",
    ]


def test_xlsx_download_keeps_numbers_and_dates() -> None:
    response = export_response(THINGS.parse({}), EXPORT_ROWS, "xlsx", filename="my-things")
    assert response.headers["content-disposition"] == 'attachment; filename="my-things.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(body_of(response)))
    sheet = book.active
    assert sheet is not None
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["Thing", "Handle", "Size", "Day", "Note"],
        [9, "=Hotel", 9, dt.datetime(2024, 6, 1), "ok"],
        [1, "Alpha", None, None, None],
    ]
    assert sheet["A2"].data_type == "n" and sheet["B2"].data_type == "s"
