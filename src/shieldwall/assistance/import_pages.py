"""The secretariat's page of imports (issue 11): past imports, and a file of requests, offers
and deliveries uploaded, checked (every bad row with its line and reason, what it would create;
nothing written), and only then applied.

The uploaded file is kept under ``settings.import_dir`` by its SHA-256, so that "Apply" names
the very file that was checked; applying checks it again, in the transaction that writes it.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from starlette.datastructures import UploadFile

from shieldwall.access.forms import posted_form
from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance.policy import Action, require
from shieldwall.assistance.table_imports import IMPORTED, import_table
from shieldwall.assistance.tables import LedgerEntry
from shieldwall.importers.common import CHUNK, ImportOutcome
from shieldwall.importers.tables import RecordType, sheets, write_templates
from shieldwall.kit.errors import DomainError, InvalidInput, NotFound
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.params import RecordId
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.uow import Platform

router = APIRouter(include_in_schema=False)

SUFFIXES = (".csv", ".xlsx")
TEMPLATE_FILES = ("requests.csv", "offers.csv", "deliveries.csv", "shieldwall-import.xlsx")
SHOWN_ENTRIES = 200
SHOWN_REJECTIONS = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _secretariat(who: Actor) -> None:
    require(who, Action.IMPORT_TABLES)


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    _secretariat(who)
    with ctx.reading() as s:
        files = (
            s.execute(select(IMPORTED).order_by(IMPORTED.c.id.desc()).limit(200)).mappings().all()
        )
    return TEMPLATES.TemplateResponse(
        request,
        "imports.html",
        {"files": files, "kinds": list(RecordType), "templates": TEMPLATE_FILES,
         "done": request.query_params.get("done")},
    )  # fmt: skip


@router.get("/imports/templates/{name}")
def import_template(who: PageActor, name: Annotated[str, PathParam(max_length=40)]) -> Response:
    _secretariat(who)
    if name not in TEMPLATE_FILES:
        raise NotFound(_("no template {name}").format(name=name))
    with tempfile.TemporaryDirectory() as directory:  # small files, made afresh each time
        content = (Path(directory) / name).read_bytes() if write_templates(Path(directory)) else b""
    kind = XLSX if name.endswith(".xlsx") else "text/csv; charset=utf-8"
    disposition = f'attachment; filename="{name}"'
    return Response(content, media_type=kind, headers={"Content-Disposition": disposition})


@router.get("/imports/{imported_file_id}", response_class=HTMLResponse)
def imported_file_page(
    request: Request, ctx: Ctx, who: PageActor, imported_file_id: RecordId
) -> Response:
    _secretariat(who)
    with ctx.reading() as s:
        file = (
            s.execute(select(IMPORTED).where(IMPORTED.c.id == imported_file_id)).mappings().first()
        )
        if file is None:
            raise NotFound(_("import {id} does not exist").format(id=imported_file_id))
        entry = LedgerEntry.__table__
        of_file = entry.c.imported_file_id == imported_file_id
        count = s.scalar(select(func.count()).select_from(entry).where(of_file)) or 0
        entries = (
            s.execute(select(entry).where(of_file).order_by(entry.c.id).limit(SHOWN_ENTRIES))
            .mappings()
            .all()
        )
    return TEMPLATES.TemplateResponse(
        request, "imported_file.html", {"file": file, "entries": entries, "count": count}
    )


async def _keep(upload: UploadFile, directory: Path) -> tuple[Path, str]:
    """The uploaded file, stored under its SHA-256 (read in blocks: memory stays flat)."""
    name = Path(upload.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput("file", _("choose a .csv or .xlsx file"))
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=directory, delete=False) as out:
        while block := await upload.read(CHUNK):
            digest.update(block)
            out.write(block)
    kept = directory / f"{digest.hexdigest()}{suffix}"
    Path(out.name).replace(kept)
    return kept, name


def _run(ctx: Platform, who: Actor, path: Path, name: str, kind: str, apply: bool,
         skip_bad: bool) -> ImportOutcome:  # fmt: skip
    record_type = RecordType(kind) if kind in set(RecordType) else None
    with ctx.unit_of_work() as uow:
        return import_table(
            uow, who, lambda: sheets(path, record_type), file_name=name,
            sha256=path.stem, dry_run=not apply, skip_bad=skip_bad,
        )  # fmt: skip


def _report(request: Request, outcome: ImportOutcome | None, context: dict[str, Any],
            status_code: int = 200) -> Response:  # fmt: skip
    return TEMPLATES.TemplateResponse(
        request,
        "import_check.html",
        {"outcome": outcome, "shown": (outcome.rejected[:SHOWN_REJECTIONS] if outcome else []),
         **context},
        status_code=status_code,
    )  # fmt: skip


@router.post("/imports/check", response_class=HTMLResponse)
async def check_import(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The check report of an uploaded file: nothing is written."""
    form = await posted_form(request)
    _secretariat(who)
    upload, kind = form.get("file"), str(form.get("type") or "")
    context: dict[str, Any] = {"kind": kind, "name": "", "sha256": ""}
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("file", _("choose a file to import"))
        path, name = await _keep(upload, Path(ctx.settings.import_dir))
        context |= {"name": name, "sha256": path.stem, "suffix": path.suffix}
        outcome = _run(ctx, who, path, name, kind, apply=False, skip_bad=False)
    except DomainError as exc:
        return _report(request, None, context | {"error": exc.detail}, exc.status)
    return _report(request, outcome, context)


@router.post("/imports/apply", response_class=HTMLResponse)
async def apply_import(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """Apply a file checked before (found by its SHA-256), checking it again as it is written."""
    form = await posted_form(request)
    _secretariat(who)
    sha256, suffix = str(form.get("sha256") or ""), str(form.get("suffix") or "")
    name, kind = str(form.get("name") or "")[:255], str(form.get("type") or "")
    skip_bad = form.get("skip_bad") == "yes"
    context: dict[str, Any] = {"kind": kind, "name": name, "sha256": sha256, "suffix": suffix}
    path = Path(ctx.settings.import_dir) / f"{sha256}{suffix}"
    try:
        if (
            not (len(sha256) == 64 and sha256.isalnum() and suffix in SUFFIXES)
            or not path.is_file()
        ):
            raise InvalidInput("file", _("the checked file is no longer here: upload it again"))
        outcome = _run(ctx, who, path, name, kind, apply=True, skip_bad=skip_bad)
    except DomainError as exc:
        return _report(request, None, context | {"error": exc.detail}, exc.status)
    if outcome.imported_file_id is not None:
        return RedirectResponse(f"/imports/{outcome.imported_file_id}?done=applied", 303)
    if outcome.stopped:
        return _report(request, outcome, context, 422)
    return RedirectResponse("/imports?done=unchanged", 303)
