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

and a page uses it::

    view = OFFERS.parse(request.query_params, options={"member": member_options})
    shown = view.fetch(session, select(Offer, Member.name).join(...).where(readable(who)))
    # shown.rows, shown.total, shown.page, shown.pages; in the template, _listing.html's
    # filter_form(view), head(view), pager(shown, counted) and downloads(view)
    # an export: export_response(view, rows_as_dicts, fmt)  (every row of view.all(...))

The query string: ``q`` (search words, each must match one of the search columns,
case-insensitively: ``LIKE``/``ILIKE`` with ``%`` and ``_`` taken literally), ``sort``
(a column key, ``-key`` for descending), ``page`` (from 1; a page past the end shows the last
one), ``format`` (``csv`` or ``xlsx``: the download of the whole filtered view), and one
parameter per filter. An empty parameter means "no filter" (what an untouched form sends).

Bad parameters are refused with a 422 naming the parameter and its label (``ListingError``):
an unknown sort column, a date that is not ``YYYY-MM-DD``, a page that is not a whole number,
an unknown format, and an unknown choice too: a bookmarked or shared URL that no longer means
what it meant should say so, rather than silently show everything. Other parameters (a page's
own, such as ``done``) are left to the page.

SQLite lower-cases ASCII letters only, so there a search for "київ" does not find "Київ";
PostgreSQL's ``ILIKE`` folds every letter.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi.responses import Response, StreamingResponse
from sqlalchemy import ColumnElement, DateTime, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from shieldwall.kit.errors import DomainError
from shieldwall.kit.exports import csv_lines, write_xlsx
from shieldwall.kit.i18n import N_, gettext

T = TypeVar("T")
U = TypeVar("U")

SEARCH, SORT, PAGE, FORMAT = "q", "sort", "page", "format"
FORMATS = ("csv", "xlsx")
MAX_SEARCH = 200
MAX_PAGE = 10**6
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
    ``numeric`` right-aligns it; ``shown`` / ``exported`` say where it appears."""

    key: str
    label: str
    sort: Any = None
    numeric: bool = False
    shown: bool = True
    exported: bool = True

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
            gettext("{value} is not a download format: use csv or xlsx").format(value=repr(text)),
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
    """The whole view as a download, ``rows`` holding a value for each exported column's key:
    CSV streamed line by line (UTF-8 with a byte-order mark, so that a spreadsheet reads
    Ukrainian and French labels), or an XLSX workbook written row by row (write-only) and then
    sent. The header row is the columns' labels in the viewer's language; numbers and dates
    stay numbers and dates."""
    columns = [c for c in view.listing.columns if c.exported]
    labels = [gettext(c.label) for c in columns]
    stem = filename or view.listing.name
    disposition = {"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'}

    def relabelled() -> Iterator[dict[str, Any]]:
        for row in rows:
            yield {label: row[c.key] for label, c in zip(labels, columns, strict=True)}

    if fmt == "csv":

        def lines() -> Iterator[str]:
            yield "\ufeff"
            yield from csv_lines(relabelled(), labels)

        return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=disposition)
    workbook = tempfile.SpooledTemporaryFile(max_size=16 * 2**20)  # noqa: SIM115 (closed by the stream)
    write_xlsx(relabelled(), labels, workbook, sheet=stem[:31])
    workbook.seek(0)

    def chunks() -> Iterator[bytes]:
        with workbook:
            while chunk := workbook.read(2**16):
                yield chunk

    return StreamingResponse(chunks(), media_type=XLSX_TYPE, headers=disposition)
