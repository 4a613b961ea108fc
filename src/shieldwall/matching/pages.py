"""The clearing house's page, ``/matching``.

The secretariat starts a run (it runs in the background; the page shows its stage until it is
done), reads the proposals with their explanations and the needs left uncovered with their
cause, and sends the proposals. A member declares what it could give and answers the
proposals sent to it. Thin, as the other features' pages are: a form runs one use case in a
unit of work and the browser is sent (303) back with a one-line confirmation; after an error
the page is shown again with what was typed and the field named by its label.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from shieldwall.access import forms
from shieldwall.access.forms import FormError, posted_form
from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance import queries as assistance
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.amounts import parse_quantity
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, InvalidInput, NotFound
from shieldwall.kit.i18n import N_, ngettext
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.params import parse_record_id
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform
from shieldwall.matching import model, policy, queries
from shieldwall.matching.model import RunStage
from shieldwall.matching.service import MatchingService, run_matching
from shieldwall.matching.words import cause_words, explanation_words, outcome_words

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=40)]
log = logging.getLogger(__name__)

LABELS = {
    "item": N_("Item"),
    "quantity": N_("Quantity"),
    "available_from": N_("Available from"),
    "kind": N_("Kind"),
    "not_before": N_("Not before"),
    "per_request": N_("At most per request"),
    "note": N_("Note"),
    "reason": N_("Reason"),
    "time_limit_seconds": N_("Time limit (seconds)"),
    "proposal_id": N_("Proposal"),
    "action": N_("Action"),
    "line_id": N_("Availability line"),
}
DONE = {
    "run": N_("The run has started; this page shows its progress."),
    "send": N_("The proposals were sent to their members."),
    "confirm": N_("Confirmed: the proposal is now your offer."),
    "decline": N_("Declined."),
    "declare": N_("Availability declared."),
    "withdraw": N_("Availability line withdrawn; its pending proposals were cancelled."),
}


class _Tried(Exception):
    """Carries what a use case would do out of a unit of work that is then rolled back."""

    def __init__(self, result: int) -> None:
        super().__init__("tried")
        self.result = result


def label(field: str) -> str:
    return _(LABELS[field]) if field in LABELS else field.replace("_", " ").capitalize()


def in_background(platform: Platform, who: Actor, run_id: int) -> None:
    """Carry out a run on a thread of its own; a failure is recorded on the run itself."""

    def work() -> None:
        try:
            run_matching(platform, who, run_id)
        except Exception:  # recorded as the run's outcome by run_matching; logged for staff
            log.exception("matching run %s failed", run_id)

    threading.Thread(target=work, name=f"matching-run-{run_id}", daemon=True).start()


def _page_data(ctx: Ctx, who: Actor) -> dict[str, Any]:
    with ctx.reading() as s:
        runs = queries.runs(s, 5) if who.sees_everything else []
        latest = runs[0] if runs else None
        proposals = queries.proposals(s, who, run_id=latest["id"] if latest else None)
        uncovered = queries.uncovered(s, latest["id"]) if latest else []
        lines = queries.availability(s, who)
        catalogue = assistance.catalogue(s) if policy.may_declare(who) else []
    for a in lines:
        a["may_withdraw"] = a["withdrawn_at"] is None and policy.may_withdraw(who, a["member_id"])
    for p in proposals:
        p["why"] = explanation_words(p["explanation"])
    for u in uncovered:
        u["why"] = cause_words(u["cause"])
    running = latest is not None and latest["stage"] not in (RunStage.DONE, RunStage.FAILED)
    return {
        "runs": runs,
        "latest": latest,
        "running": running,
        "progress": model.run_progress(latest["stage"]) if latest else 0,
        "outcome": outcome_words(latest["outcome"]) if latest and not running else "",
        "proposals": proposals,
        "uncovered": uncovered,
        "lines": lines,
        "catalogue": catalogue,
        "may_run": policy.may_run(who),
        "may_declare": policy.may_declare(who) and who.delegation_kind == DelegationKind.MEMBER,
        "to_send": sum(1 for p in proposals if p["state"] == "proposed"),
    }


def _page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        "matching.html",
        {
            **_page_data(ctx, who),
            "v": values or {"idempotency_key": secrets.token_urlsafe(18)},
            "done_text": _(DONE[done]) if done in DONE else None,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/matching", response_class=HTMLResponse)
def matching_page(request: Request, ctx: Ctx, who: PageActor, done: Text = None) -> Response:
    """Runs, proposals and uncovered needs (the secretariat); availability and the proposals
    sent to it (a member)."""
    return _page(request, ctx, who, done=done)


def _checked(form: FormData) -> dict[str, str]:
    checked: dict[str, str] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            long = k in ("note", "reason")
            checked[k] = check_text(k, v, multiline=long, max_length=2000 if long else 200)
    return checked


@router.post("/matching/act", response_class=HTMLResponse)
async def act(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The page's forms: start a run, send a run's proposals, confirm or decline one,
    declare availability."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        if action == "withdraw" and values.get("confirmed") != "yes":
            return _confirm_withdrawal(request, ctx, who, values)
        with ctx.unit_of_work() as uow:
            started = _form_action(MatchingService(uow), who, values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        typed = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        error = forms.form_error(exc, label)
        return _page(request, ctx, who, error=error, values=typed, status_code=exc.status)
    if started is not None:
        in_background(ctx, who, started)
    return RedirectResponse(f"/matching?done={action}", status_code=303)


def _confirm_withdrawal(
    request: Request, ctx: Ctx, who: Actor, values: dict[str, str]
) -> HTMLResponse:
    """Withdrawing cannot be taken back: say what it would do (tried, then rolled back; a
    DomainError says why it would not), and ask first."""
    line = parse_record_id("line_id", values.get("line_id", ""))
    reason = values.get("reason", "")
    try:
        with ctx.unit_of_work() as uow:
            raise _Tried(MatchingService(uow).withdraw_availability(who, line, reason))
    except _Tried as tried:
        cancelled = tried.result
    return TEMPLATES.TemplateResponse(
        request,
        "assistance_confirm.html",
        {
            "question": _("Withdraw availability line {id}?").format(id=line),
            "consequences": [
                _("It will no longer be offered to matching runs."),
                ngettext(
                    "Its %(num)s pending proposal will be cancelled.",
                    "Its %(num)s pending proposals will be cancelled.",
                    cancelled,
                )
                % {"num": cancelled},
            ],
            "post_to": "/matching/act",
            "fields": {"action": "withdraw", "line_id": str(line), "reason": reason},
            "yes": _("Yes, withdraw it"),
            "back": "/matching",
        },
    )


def _form_action(service: MatchingService, who: Actor, values: dict[str, str]) -> int | None:
    """Carry out one form, as its API route would; the id of a run started, if one was."""
    action = values.get("action", "")
    if action == "run":
        limit = values.get("time_limit_seconds", "").strip()
        seconds = float(parse_quantity("time_limit_seconds", limit)) if limit else None
        return service.start_run(who, time_limit_seconds=seconds)
    if action == "send":
        service.send_run(who, parse_record_id("run_id", values.get("run_id", "")))
    elif action in ("confirm", "decline"):
        proposal = parse_record_id("proposal_id", values.get("proposal_id", ""))
        if action == "confirm":
            service.confirm(who, proposal)
        else:
            service.decline(who, proposal, values.get("reason", ""))
    elif action == "declare":
        _declare(service, who, values)
    elif action == "withdraw":
        line = parse_record_id("line_id", values.get("line_id", ""))
        service.withdraw_availability(who, line, values.get("reason", ""))
    else:
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))
    return None


def _declare(service: MatchingService, who: Actor, values: dict[str, str]) -> None:
    not_before = values.get("not_before", "").strip()
    per = values.get("per_request", "").strip()
    start = values.get("available_from", "").strip()
    if not start:
        raise InvalidInput("available_from", _("give the date it is available from"))
    service.declare_availability(
        who,
        member=who.delegation or "",
        item=values.get("item", ""),
        quantity=parse_quantity("quantity", values.get("quantity", "")),
        available_from=parse_day("available_from", start),
        kind=values.get("kind", "equip"),
        training_only=values.get("training_only") == "yes",
        not_before=parse_day("not_before", not_before) if not_before else None,
        per_request=parse_quantity("per_request", per) if per else None,
        note=values.get("note", ""),
        idempotency_key=values.get("idempotency_key") or None,
    )
