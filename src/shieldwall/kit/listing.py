"""Lists people can search: sorted by their columns, filtered by their main fields, searched by
text, paged in the SQL query, with the whole view in the URL and downloads of exactly that view.

A feature declares its list once, next to its queries::

    OFFERS = Listing(
        path="/offers",
        name="offers",
        tiebreak=Offer.id,
        columns=(
            Column("id", N_("Offer"), Offer.id, numeric=True),
            Column("member", N_("Member"), Member.name),
            Column("value", N_("Value"), Offer.value_cents, numeric=True),
        ),
        filters=(
            Filter("member", N_("Member"), Offer.member_id),  # options given at parse time
            Filter("from", N_("Offered from"), Offer.offered_at, FilterKind.DATE_FROM),
        ),
        search=(Item.name, Offer.description),
        default_sort="-id",
    )

and a page serves it with ``show_list`` (or, by hand: ``OFFERS.parse(query, options)`` →
``view.fetch(session, stmt)``; ``export_response`` for a download)::

    @router.get("/offers", response_class=HTMLResponse)
    def offers_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
        return show_list(request, ctx, ListPage(
            template="offers.html",
            listing=OFFERS,
            statement=lambda view: select(Offer).join(Member, ...).where(readable_offers(who)),
            options=lambda s: {"member": [Option("DEU", "Germany (DEU)", 12), ...]},
            rows=lambda s, rows: [offer_dict(r[0]) for r in rows],   # one page, shaped
            export=lambda o: {"id": o["id"], "member": o["member_name"], ...},  # by column key
        ), {})

and its template, with ``view``, ``shown`` and ``error``::

    {% from "_listing.html" import filter_form, head, pager, downloads %}
    {% if error %}<p class="error" id="error" role="alert">{{ error.detail }}</p>{% endif %}
    {{ filter_form(view, id="offer-filters", error=error) }}
    {% if shown and shown.rows %}<div class="scroll"><table class="data">{{ head(view) }}
      <tbody>{% for o in shown.rows %}<tr>…</tr>{% endfor %}</tbody></table></div>
    {{ pager(shown, ngettext("%(num)s offer", "%(num)s offers", shown.total, num=shown.total)) }}
    {{ downloads(view) }}{% endif %}

The query string: ``q`` (search words, each must match one of the search columns,
case-insensitively: ``LIKE``/``ILIKE`` with ``%`` and ``_`` taken literally), ``sort``
(a column key, ``-key`` for descending), ``page`` (from 1; a page past the end shows the last
one), ``format`` (``csv``, ``xlsx`` or ``json``: the download of the whole filtered view), and
one parameter per filter. An empty parameter means "no filter" (what an untouched form sends).

Bad parameters are refused with a 422 naming the parameter and its label (``ListingError``):
an unknown sort column, a date that is not ``YYYY-MM-DD``, a page that is not a whole number,
an unknown format, and an unknown choice too: a bookmarked or shared URL that no longer means
what it meant should say so, rather than silently show everything. Other parameters (a page's
own, such as ``done``) are left to the page.

A summary — a table a page shows that is not a list (totals by member, coverage by area, …) —
is declared as a ``SummaryTable`` (its name and columns) and downloaded the same way, in the
same three formats: its page answers ``?table=NAME&format=csv`` with ``summary_download``, and
its template offers the links with ``{{ summary_downloads(request, "NAME") }}``; an API summary
takes ``format`` and answers with ``SummaryTable.download``.

SQLite lower-cases ASCII letters only, so there a search for "київ" does not find "Київ";
PostgreSQL's ``ILIKE`` folds every letter.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import ColumnElement, DateTime, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from shieldwall.kit.amounts import exact_euros
from shieldwall.kit.errors import DomainError
from shieldwall.kit.exports import csv_lines, json_document, write_xlsx
from shieldwall.kit.i18n import N_, gettext
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.uow import Platform

T = TypeVar("T")
U = TypeVar("U")

SEARCH, SORT, PAGE, FORMAT, TABLE = "q", "sort", "page", "format", "table"
FORMATS = ("csv", "xlsx", "json")
MAX_SEARCH = 200
MAX_PAGE = 10**6
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A JSON download (``exports.json_document``) has a type of its own: the API's JSON answers are
# its models, so a table as a file is told apart from them (and documented beside them).
TABLE_JSON_TYPE = "application/vnd.shieldwall.table+json"
_ESCAPE = "\\"


class ListingError(DomainError):
    """A parameter of a list's URL that means nothing: 422, naming the parameter by its name
    (for programs) and by its label (for people)."""

    status = 422
    title = "Invalid input"

    def __init__(self, parameter: str, label: str, problem: str) -> None:
        super().__init__(
            gettext("{label} ({parameter}): {problem}").format(
                label=gettext(label), parameter=parameter, problem=problem
            ),
            errors=[{"field": parameter, "message": problem}],
        )
        self.parameter = parameter


class FilterKind(StrEnum):
    CHOICE = "choice"  # one of the filter's options, compared for equality
    TEXT = "text"  # the column contains the text (case-insensitive)
    DATE_FROM = "date-from"  # on or after the day
    DATE_TO = "date-to"  # on or before the day (instants: before the next day, UTC)


@dataclass(frozen=True)
class Column:
    """A column of the list. ``sort`` is the SQL expression it sorts by (None: not sortable);
    ``numeric`` right-aligns it; ``shown`` / ``exported`` say where it appears; ``euros``: it
    holds amounts in EUR, which every download writes to the cent (``in_euros``)."""

    key: str
    label: str
    sort: Any = None
    numeric: bool = False
    shown: bool = True
    exported: bool = True
    euros: bool = False

    @property
    def sortable(self) -> bool:
        return self.sort is not None


@dataclass(frozen=True)
class Option:
    """A choice of a filter: ``value`` in the URL, ``label`` shown (already in the viewer's
    language, or a name), ``match`` what the filtered column holds for it (default: value)."""

    value: str
    label: str
    match: Any = None


@dataclass(frozen=True)
class Filter:
    """A filter of the list on ``column``. ``where`` replaces the plain comparison when the
    condition is more than that (it gets the option's match, the day or the text)."""

    name: str
    label: str
    column: Any = None
    kind: FilterKind = FilterKind.CHOICE
    options: tuple[Option, ...] = ()
    where: Callable[[Any], ColumnElement[bool]] | None = None

    def condition(self, match: Any) -> ColumnElement[bool]:
        if self.where is not None:
            return self.where(match)
        if self.kind is FilterKind.CHOICE:
            return self.column == match  # type: ignore[no-any-return]
        if self.kind is FilterKind.TEXT:
            return contains(self.column, match)
        instant = _holds_instants(self.column)
        if self.kind is FilterKind.DATE_FROM:
            return self.column >= (_start_of(match) if instant else match)  # type: ignore[no-any-return]
        if instant:  # the whole day: before the start of the next one
            return self.column < _start_of(match + dt.timedelta(days=1))  # type: ignore[no-any-return]
        return self.column <= match  # type: ignore[no-any-return]


def _holds_instants(column: Any) -> bool:
    kind = getattr(column, "type", None)
    return isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards taken literally (escaped with a backslash)."""
    return (
        text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    )


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively, on SQLite and PostgreSQL alike."""
    return column.ilike(f"%{escape_like(text)}%", escape=_ESCAPE)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Listing:
    """A list's declaration: where it lives, its columns, filters and search columns."""

    path: str
    name: str
    columns: tuple[Column, ...]
    tiebreak: Any
    filters: tuple[Filter, ...] = ()
    search: tuple[Any, ...] = ()
    default_sort: str = "id"
    page_size: int = 50
    search_label: str = N_("Search")

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def parse(
        self,
        query: Mapping[str, str],
        options: Mapping[str, Sequence[Option]] | None = None,
    ) -> View:
        """The view a URL's query asks for, checked (``ListingError`` names what is wrong).
        ``options`` gives the choices of filters whose options come from the database."""
        chosen = {f.name: tuple((options or {}).get(f.name, f.options)) for f in self.filters}
        sort_key, descending = self._sort(query.get(SORT, "").strip() or self.default_sort)
        values: dict[str, str] = {}
        matches: dict[str, Any] = {}
        for f in self.filters:
            text = query.get(f.name, "").strip()
            if text:
                values[f.name] = text
                matches[f.name] = _match(f, text, chosen[f.name])
        search = query.get(SEARCH, "").strip()
        if len(search) > MAX_SEARCH:
            raise ListingError(
                SEARCH,
                self.search_label,
                gettext("write at most {n} characters").format(n=MAX_SEARCH),
            )
        return View(
            listing=self,
            sort_key=sort_key,
            descending=descending,
            page=_page_number(query.get(PAGE, "").strip()),
            search=search,
            values=values,
            matches=matches,
            options=chosen,
            format=_format(query.get(FORMAT, "").strip()),
        )

    def as_typed(
        self,
        query: Mapping[str, str],
        options: Mapping[str, Sequence[Option]] | None = None,
    ) -> View:
        """The view as typed, unchecked and filtering nothing: to show the form again, with
        what was typed, beside the error a bad parameter got (``ListingError``)."""
        chosen = {f.name: tuple((options or {}).get(f.name, f.options)) for f in self.filters}
        key, descending = self.default_sort.removeprefix("-"), self.default_sort.startswith("-")
        return View(
            listing=self,
            sort_key=key,
            descending=descending,
            page=1,
            search=query.get(SEARCH, "").strip()[:MAX_SEARCH],
            values={f.name: query[f.name].strip() for f in self.filters if query.get(f.name)},
            matches={},
            options=chosen,
        )

    def _sort(self, text: str) -> tuple[str, bool]:
        key = text.removeprefix("-")
        column = self.column(key)
        if column is None or not column.sortable:
            keys = ", ".join(c.key for c in self.columns if c.sortable)
            raise ListingError(
                SORT,
                N_("Sort by"),
                gettext("there is no column {value} to sort by; use one of {keys}").format(
                    value=repr(key), keys=keys
                ),
            )
        return key, text.startswith("-")


def _match(f: Filter, text: str, options: tuple[Option, ...]) -> Any:
    if f.kind is FilterKind.TEXT:
        if len(text) > MAX_SEARCH:
            raise ListingError(
                f.name, f.label, gettext("write at most {n} characters").format(n=MAX_SEARCH)
            )
        return text
    if f.kind is FilterKind.CHOICE:
        for option in options:
            if option.value == text:
                return option.value if option.match is None else option.match
        raise ListingError(
            f.name,
            f.label,
            gettext("{value} is not one of the choices").format(value=repr(text)),
        )
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ListingError(
            f.name,
            f.label,
            gettext("{value} is not a day: write it as YYYY-MM-DD, like 2024-07-11").format(
                value=repr(text)
            ),
        ) from None


def _page_number(text: str) -> int:
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text[:8]) <= MAX_PAGE:
        raise ListingError(
            PAGE,
            N_("Page"),
            gettext("{value} is not a page number: write a whole number, like 2").format(
                value=repr(text)
            ),
        )
    return int(text)


def _format(text: str) -> str | None:
    if not text:
        return None
    if text not in FORMATS:
        raise ListingError(
            FORMAT,
            N_("Download"),
            gettext("{value} is not a download format: use csv, xlsx or json").format(
                value=repr(text)
            ),
        )
    return text


@dataclass(frozen=True)
class View:
    """What a list shows: its sort, page, search and filters, as the URL asked for them."""

    listing: Listing
    sort_key: str
    descending: bool
    page: int
    search: str
    values: dict[str, str]
    matches: dict[str, Any]
    options: dict[str, tuple[Option, ...]] = field(default_factory=dict)
    format: str | None = None

    # ---- the SQL ----

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filters' and the search's conditions (each search word must match a column)."""
        found = [
            f.condition(self.matches[f.name])
            for f in self.listing.filters
            if f.name in self.matches
        ]
        for word in self.search.split():
            found.append(or_(*(contains(c, word) for c in self.listing.search)))
        return found

    def order_by(self) -> list[Any]:
        column = self.listing.column(self.sort_key)
        assert column is not None  # parse checked it
        first = column.sort.desc() if self.descending else column.sort.asc()
        tiebreak = self.listing.tiebreak
        # NULLS LAST on both databases (SQLite and PostgreSQL disagree by default); the id
        # breaks ties so that a page holds the same rows each time it is read.
        return [first.nulls_last(), tiebreak.desc() if self.descending else tiebreak.asc()]

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        """``stmt`` filtered, searched and sorted (not paged)."""
        conditions = self.conditions()
        if conditions:
            stmt = stmt.where(and_(*conditions))
        return stmt.order_by(*self.order_by())

    def fetch(self, session: Session, stmt: Select[Any]) -> Shown[Any]:
        """One page of ``stmt`` as the view asks, with the count of the whole view. A page past
        the end shows the last page (never "page 11 of 10")."""
        filtered = self.apply(stmt)
        total = int(
            session.scalar(select(func.count()).select_from(filtered.order_by(None).subquery()))
            or 0
        )
        size = self.listing.page_size
        pages = max(1, -(-total // size))
        page = min(self.page, pages)
        rows = list(session.execute(filtered.offset((page - 1) * size).limit(size)))
        return Shown(view=self, rows=rows, total=total, page=page, pages=pages)

    def all(self, session: Session, stmt: Select[Any]) -> Iterator[Any]:
        """Every row of the view, in its order, streamed (for a download)."""
        yield from session.execute(self.apply(stmt).execution_options(yield_per=1000))

    # ---- the links ----

    def params(self, **changes: Any) -> dict[str, str]:
        """The view's query parameters that differ from the defaults, after ``changes``
        (a change to None drops the parameter), filters first, in the declared order."""
        current = {
            **self.values,
            SEARCH: self.search,
            SORT: ("-" if self.descending else "") + self.sort_key,
            PAGE: str(self.page),
        }
        current.update({k: "" if v is None else str(v) for k, v in changes.items()})
        defaults = {SORT: self.listing.default_sort, PAGE: "1"}
        order = [f.name for f in self.listing.filters] + [SEARCH, SORT, PAGE, FORMAT]
        return {k: current[k] for k in order if current.get(k) and current[k] != defaults.get(k)}

    def is_tidy(self, query: Mapping[str, str]) -> bool:
        """Whether ``query`` names the view without empty parameters: a submitted filter form
        sends every field, and a page answers an untidy query with a redirect to
        ``href()``, so that the address bar holds a URL worth bookmarking."""
        names = {f.name for f in self.listing.filters} | {SEARCH, SORT, PAGE, FORMAT}
        return not any(k in names and not v.strip() for k, v in query.items())

    def href(self, **changes: Any) -> str:
        params = self.params(**changes)
        return self.listing.path + ("?" + urlencode(params) if params else "")

    def sort_href(self, key: str) -> str:
        """The sorted column's link reverses it; another column's sorts by it, ascending.
        Either way back to the first page."""
        descending = not self.descending if key == self.sort_key else False
        return self.href(**{SORT: ("-" if descending else "") + key, PAGE: None})

    def aria_sort(self, key: str) -> str | None:
        if key != self.sort_key:
            return None
        return "descending" if self.descending else "ascending"

    def page_href(self, page: int) -> str:
        return self.href(**{PAGE: page})

    def export_href(self, fmt: str) -> str:
        """The download of the whole view: every row, so no page."""
        return self.href(**{PAGE: None, FORMAT: fmt})

    @property
    def clear_href(self) -> str:
        """The list with no filter and no search, in the same order."""
        sort = ("-" if self.descending else "") + self.sort_key
        if sort == self.listing.default_sort:
            return self.listing.path
        return self.listing.path + "?" + urlencode({SORT: sort})

    @property
    def narrowed(self) -> bool:
        """Whether a filter or a search narrows the list."""
        return bool(self.values or self.search)

    @property
    def shown_columns(self) -> list[Column]:
        return [c for c in self.listing.columns if c.shown]


@dataclass(frozen=True)
class Shown(Generic[T]):
    """One page of a view: its rows, the count of the whole view, and where the page sits."""

    view: View
    rows: list[T]
    total: int
    page: int
    pages: int

    def with_rows(self, rows: list[U]) -> Shown[U]:
        """The same page with its rows turned into what the template shows (e.g. dicts)."""
        return Shown(view=self.view, rows=rows, total=self.total, page=self.page, pages=self.pages)

    @property
    def previous_href(self) -> str | None:
        return self.view.page_href(self.page - 1) if self.page > 1 else None

    @property
    def next_href(self) -> str | None:
        return self.view.page_href(self.page + 1) if self.page < self.pages else None


# ---- downloads ---------------------------------------------------------------------------------


def export_response(
    view: View, rows: Iterable[Mapping[str, Any]], fmt: str, filename: str | None = None
) -> Response:
    """The whole view as a download, ``rows`` holding a value for each exported column's key
    (``download_response``)."""
    columns = [c for c in view.listing.columns if c.exported]
    return download_response(filename or view.listing.name, columns, rows, fmt)


def in_euros(
    columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The rows with their ``euros`` columns exact to the cent (``amounts.exact_euros``): the
    one way every download — page, API or CLI, CSV, XLSX or JSON — writes money."""
    money = [c.key for c in columns if c.euros]
    for row in rows:
        yield {**row, **{k: exact_euros(row[k]) for k in money}}


def download_response(
    name: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], fmt: str
) -> Response:
    """Rows as a download named ``name``, one column per ``columns`` (rows hold a value for
    each column's key): CSV streamed line by line (UTF-8 with a byte-order mark, so that a
    spreadsheet reads Ukrainian and French labels), an XLSX workbook written row by row
    (write-only) and then sent, or JSON streamed (``exports.json_document``: rows keyed by
    the columns' keys, values typed). Headed by the columns' labels in the reader's
    language; numbers and dates stay numbers and dates."""
    keys = [c.key for c in columns]
    labels = [gettext(c.label) for c in columns]
    rows = in_euros(columns, rows)
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}

    def relabelled() -> Iterator[dict[str, Any]]:
        for row in rows:
            yield {label: row[c.key] for label, c in zip(labels, columns, strict=True)}

    if fmt == "json":
        shaped = ({k: row[k] for k in keys} for row in rows)
        return StreamingResponse(
            json_document(shaped, keys, labels),
            media_type=TABLE_JSON_TYPE,
            headers=disposition,
        )
    if fmt == "csv":

        def lines() -> Iterator[str]:
            yield "\ufeff"
            yield from csv_lines(relabelled(), labels)

        return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=disposition)
    workbook = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)  # noqa: SIM115 (closed by the stream)
    write_xlsx(relabelled(), labels, workbook, sheet=name[:31])
    workbook.seek(0)

    def chunks() -> Iterator[bytes]:
        with workbook:
            while chunk := workbook.read(2**16):
                yield chunk

    return StreamingResponse(chunks(), media_type=XLSX_TYPE, headers=disposition)


# ---- summaries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryTable:
    """A summary a page or the API shows — not a list: no search, sort or pages of its own —
    downloadable as a list's view is: its ``name`` (the ``table`` parameter and the file's
    name) and its columns (their keys index the rows; their labels head the download)."""

    name: str
    columns: tuple[Column, ...]

    def download(self, rows: Iterable[Mapping[str, Any]], fmt: str) -> Response:
        return download_response(self.name, self.columns, rows, fmt)


def summary_download(
    query: Mapping[str, str], tables: Sequence[SummaryTable]
) -> tuple[SummaryTable, str] | None:
    """The summary and the format a page's query asks to download (``table`` and ``format``),
    or None to show the page; a table or format that is not one is a ``ListingError``."""
    fmt = _format(query.get(FORMAT, "").strip())
    if fmt is None:
        return None
    name = query.get(TABLE, "").strip() or tables[0].name
    for table in tables:
        if table.name == name:
            return table, fmt
    raise ListingError(
        TABLE,
        N_("Download"),
        gettext("there is no table {value} to download; use one of {names}").format(
            value=repr(name[:MAX_SEARCH]), names=", ".join(t.name for t in tables)
        ),
    )


def summary_href(request: Request, table: str, fmt: str) -> str:
    """The page as it is shown (its year, its date…), asking for the download of ``table``."""
    params = {k: v for k, v in request.query_params.items() if k not in (TABLE, FORMAT)}
    return request.url.path + "?" + urlencode({**params, TABLE: table, FORMAT: fmt})


TEMPLATES.env.globals["summary_href"] = summary_href

# The files an API summary also answers with (OpenAPI), beside its JSON model.
DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            TABLE_JSON_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["columns", "rows"],
                    "properties": {
                        "columns": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "label"],
                                "properties": {
                                    "key": {"type": "string"},
                                    "label": {"type": "string"},
                                },
                            },
                        },
                        "rows": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
        },
        "description": "The summary; with format=csv, xlsx or json, as that file",
    }
}

# An API summary's ``format``: none for its JSON model, else the file (``SummaryTable.download``).
DownloadFormat = Annotated[
    Literal["csv", "xlsx", "json"] | None,
    Query(description="The summary as a file: csv, xlsx or json, headed in your language"),
]


def in_batches(
    rows: Iterable[Any], shape: Callable[[list[Any]], list[T]], size: int = 500
) -> Iterator[T]:
    """Rows shaped a batch at a time (a record's balances, say, read for many at once), in
    their order: a download's rows, streamed."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield from shape(batch)
            batch = []
    if batch:
        yield from shape(batch)


# ---- a list page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    """A list page: its template, its listing, the statement it runs for a view, the options
    of its filters read from the database, how a page's rows are shaped for the template
    (``rows``), and a shaped row for a download (``export``). ``show_list`` serves it."""

    template: str
    listing: Listing
    statement: Callable[[View], Select[Any]]
    rows: Callable[[Session, list[Any]], list[Any]]
    export: Callable[[Any], Mapping[str, Any]]
    options: Callable[[Session], Mapping[str, Sequence[Option]]] = lambda _s: {}


def show_list(
    request: Request, platform: Platform, page: ListPage, context: Mapping[str, Any]
) -> Response:
    """The view the URL asks for, with ``context`` for the template (which gets ``view``,
    ``shown`` and ``error``): a page of it; its download (``format``); a redirect to its tidy
    URL (a submitted form's empty fields dropped); or, for a parameter that means nothing,
    the form again with what was typed and the error naming it (422)."""
    query = request.query_params
    with platform.reading() as s:
        options = page.options(s)
        try:
            view = page.listing.parse(query, options)
        except ListingError as exc:
            typed = page.listing.as_typed(query, options)
            return TEMPLATES.TemplateResponse(
                request,
                page.template,
                {**context, "view": typed, "shown": None, "error": exc},
                status_code=exc.status,
            )
        if not view.is_tidy(query):
            return RedirectResponse(view.href(), status_code=303)
        stmt = page.statement(view)
        if view.format is not None:
            return _download(platform, view, stmt, page, view.format)
        shown = view.fetch(s, stmt)
        shown = shown.with_rows(page.rows(s, shown.rows))
    return TEMPLATES.TemplateResponse(
        request, page.template, {**context, "view": view, "shown": shown, "error": None}
    )


def _download(
    platform: Platform, view: View, stmt: Select[Any], page: ListPage, fmt: str
) -> Response:
    """The whole view as a download, read in a session of its own (a CSV is still being
    sent after the page's session has closed)."""

    def rows() -> Iterator[Mapping[str, Any]]:
        with platform.reading() as s:
            shaped = in_batches(view.all(s, stmt), lambda batch: page.rows(s, batch))
            yield from (page.export(r) for r in shaped)

    return export_response(view, rows(), fmt)
