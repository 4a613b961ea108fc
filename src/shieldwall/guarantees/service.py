"""Use cases of security guarantees, each audited, each run in the unit of work it is given.

Every operation checks the rules of ``model`` and the permissions of ``policy`` before it
writes; a refused one raises and its unit of work rolls back whole. A use case that changes an
instrument, an offer's link or a pathway step locks that row before it reads its state
(``FOR UPDATE`` on PostgreSQL; SQLite's unit of work holds the write lock from its start).
Linking an offer to an instrument never touches the ledger: the link says which promise the
offer's entries count toward.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.assistance.tables import Offer
from shieldwall.assistance.visibility import readable_offers
from shieldwall.council.service import CouncilService
from shieldwall.council.tables import Proposal
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.service import delegation_by_code, the_partners
from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees import model, policy
from shieldwall.guarantees.policy import (
    INSTRUMENT_DEFAULT,
    PATHWAY_DEFAULT,
    Action,
    holds_instruments,
    require,
)
from shieldwall.guarantees.tables import (
    ExchangeRate,
    Instrument,
    InstrumentAmount,
    InstrumentOffer,
    Obligation,
    PathwayStep,
)
from shieldwall.guarantees.visibility import readable_instruments, readable_pathway
from shieldwall.kit import idempotency
from shieldwall.kit.amounts import check_cents
from shieldwall.kit.dates import check_day
from shieldwall.kit.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from shieldwall.kit.i18n import format_number, term
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.locks import lock_name
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import UnitOfWork, readable_for_update

EUR = "EUR"


def text_field(
    field: str, value: str, longest: int, *, required: bool = False, multiline: bool = False
) -> str:
    """Text from outside, stripped: no control characters, within ``longest``, and not empty
    where ``required``; the same clear refusal for the API, the pages, the CLI and an import."""
    value = check_text(field, value, multiline=multiline).strip()
    if required and not value:
        raise InvalidInput(field, _("cannot be empty"))
    if len(value) > longest:
        raise InvalidInput(
            field, _("at most {longest} characters").format(longest=format_number(longest))
        )
    return value


def sources_field(value: str) -> str:
    """Sources as the platform keeps them: addresses separated by single spaces."""
    return text_field("sources", " ".join(value.split()), 5000)


def the_partner(session: Session, code: str | None) -> Delegation:
    """The partner named, else the council's only partner."""
    if code is None:
        partners = the_partners(session)
        if len(partners) != 1:
            raise InvalidInput("partner", _("name the partner"))
        return partners[0]
    partner = delegation_by_code(session, code, "partner")
    if partner.kind != DelegationKind.PARTNER:
        raise InvalidInput("partner", _("{partner} is not a partner").format(partner=partner.code))
    return partner


def snapshot(instrument: Instrument) -> dict[str, Any]:
    """What the audit trail records of an instrument's terms."""
    return {
        "member_id": instrument.member_id,
        "partner_id": instrument.partner_id,
        "title": instrument.title,
        "signed_on": instrument.signed_on,
        "place": instrument.place,
        "valid_from": instrument.valid_from,
        "valid_until": instrument.valid_until,
        "duration_years": instrument.duration_years,
        "until_accession": instrument.until_accession,
        "termination_notice_months": instrument.termination_notice_months,
        "notice_given_on": instrument.notice_given_on,
        "notice_given_by_id": instrument.notice_given_by_id,
        "illustrative": instrument.illustrative,
        "releasability": instrument.releasability,
    }


def _amount_snapshot(amount: InstrumentAmount) -> dict[str, Any]:
    return {
        "year": amount.year,
        "category": amount.category,
        "amount_minor": amount.amount_minor,
        "currency": amount.currency,
        "eur_cents": amount.eur_cents,
        "rate_id": amount.rate_id,
        "basis": amount.basis,
        "illustrative": amount.illustrative,
    }


def _step_snapshot(step: PathwayStep) -> dict[str, Any]:
    return {
        "kind": step.kind,
        "title": step.title,
        "status": step.status,
        "evidence": step.evidence,
        "due_on": step.due_on,
        "proposal_id": step.proposal_id,
        "releasability": step.releasability,
    }


class GuaranteesService:
    """Use cases of security guarantees; each runs in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.s = uow.session

    def _today(self) -> dt.date:
        return self.uow.clock.now().date()

    # ---- exchange rates --------------------------------------------------------------------

    def record_rate(
        self,
        actor: Actor,
        *,
        currency: str,
        rate_on: dt.date,
        units_per_eur: Decimal,
        source: str,
    ) -> int:
        """Record a dated reference rate, once: the amounts converted at it keep it. The same
        rate recorded again is the one already there."""
        require(actor, Action.RECORD_RATE)
        code = model.currency("currency", currency)
        if code == EUR:
            raise InvalidInput("currency", _("amounts in euros need no rate"))
        check_day("rate_on", rate_on)
        if rate_on > self._today():
            raise InvalidInput("rate_on", _("{rate_on} is in the future").format(rate_on=rate_on))
        rate = model.units_per_eur("units_per_eur", units_per_eur)
        source = text_field("source", source, 500, required=True)
        lock_name(self.s, "exchange_rate", code, rate_on.isoformat())
        found = self.s.scalar(
            select(ExchangeRate).where(
                ExchangeRate.currency == code, ExchangeRate.rate_on == rate_on
            )
        )
        if found is not None:
            if found.units_per_eur == rate and found.source == source:
                return found.id
            raise RuleViolation(
                _("a {code} rate on {rate_on} is already recorded: {rate} to the euro").format(
                    code=code, rate_on=rate_on, rate=found.units_per_eur
                ),
                rule="a dated rate is recorded once: amounts were converted at it",
            )
        row = ExchangeRate(currency=code, rate_on=rate_on, units_per_eur=rate, source=source)
        self.s.add(row)
        self.s.flush()
        after = {"currency": code, "rate_on": rate_on, "units_per_eur": rate, "source": source}
        now = self.uow.clock.now()
        self.uow.audit(actor, now, "exchange_rate.record", "exchange_rate", row.id, None, after)
        return row.id

    def _rate(self, currency: str, rate_on: dt.date | None) -> ExchangeRate:
        if rate_on is None:
            raise InvalidInput(
                "rate_on",
                _("give the date of the {currency} rate to convert at").format(currency=currency),
            )
        rate = self.s.scalar(
            select(ExchangeRate).where(
                ExchangeRate.currency == currency, ExchangeRate.rate_on == rate_on
            )
        )
        if rate is None:
            raise InvalidInput(
                "rate_on",
                _("no {currency} rate is recorded on {rate_on}: record it first").format(
                    currency=currency, rate_on=rate_on
                ),
            )
        return rate

    # ---- instruments -----------------------------------------------------------------------

    def create_instrument(
        self,
        actor: Actor,
        *,
        member: str,
        title: str,
        signed_on: dt.date,
        partner: str | None = None,
        place: str = "",
        valid_from: dt.date | None = None,
        valid_until: dt.date | None = None,
        duration_years: int | None = None,
        until_accession: bool = False,
        termination_notice_months: int | None = None,
        notes: str = "",
        sources: str = "",
        illustrative: bool = False,
        releasability: str | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """Record an instrument a member (or a contributor) signed with the partner: for a
        term (``valid_until``, or ``duration_years`` from ``valid_from``), open-ended, and/or
        until the partner's accession."""
        payload = idempotency.payload_of(locals())
        released = policy.releasability("releasability", INSTRUMENT_DEFAULT, releasability)
        signatory = self._signatory(actor, member)
        again = idempotency.replayed(self.s, actor.name, "instrument", idempotency_key, payload)
        if again is not None:
            return again
        start = check_day("valid_from", valid_from or signed_on)
        instrument = Instrument(
            member_id=signatory.id,
            partner_id=the_partner(self.s, partner).id,
            title=text_field("title", title, 300, required=True),
            signed_on=self._signed_on(signed_on),
            place=text_field("place", place, 200),
            valid_from=start,
            valid_until=model.valid_until(start, valid_until, duration_years),
            duration_years=duration_years,
            until_accession=until_accession,
            termination_notice_months=model.notice_months(
                "termination_notice_months", termination_notice_months
            ),
            notes=text_field("notes", notes, 5000, multiline=True),
            sources=sources_field(sources),
            illustrative=illustrative,
            releasability=released.value,
            created_at=self.uow.clock.now(),
        )
        if valid_until is not None:
            check_day("valid_until", valid_until)
        self.s.add(instrument)
        self.s.flush()
        now = instrument.created_at
        key = idempotency_key
        idempotency.remember(self.s, actor.name, "instrument", key, payload, instrument.id, now)
        after = snapshot(instrument)
        self.uow.audit(actor, now, "instrument.create", "instrument", instrument.id, None, after)
        return instrument.id

    def _signatory(self, actor: Actor, code: str) -> Delegation:
        """The member or contributor that signed, once ``actor`` may record for it."""
        signatory = delegation_by_code(self.s, code, "member")
        if not holds_instruments(DelegationKind(signatory.kind)):
            raise InvalidInput(
                "member",
                _(
                    "{code} is a {kind} delegation: instruments are signed by members and "
                    "contributors"
                ).format(code=signatory.code, kind=signatory.kind),
            )
        require(
            actor, Action.CREATE_INSTRUMENT, owner_id=signatory.id, record=f"for {signatory.code}"
        )
        return signatory

    def _signed_on(self, signed_on: dt.date) -> dt.date:
        check_day("signed_on", signed_on)
        if signed_on > self._today():
            raise InvalidInput(
                "signed_on", _("{signed_on} is in the future").format(signed_on=signed_on)
            )
        return signed_on

    def load_instrument(self, actor: Actor, instrument_id: int, field: str = "") -> Instrument:
        """The instrument, locked for this transaction; 404 (or an error naming ``field``) if
        it does not exist or ``actor`` may not see it (existence is not disclosed)."""
        instrument = self.s.scalar(
            select(Instrument)
            .where(Instrument.id == instrument_id, readable_instruments(actor))
            .with_for_update()
        )
        if instrument is None:
            if field:
                raise InvalidInput(
                    field,
                    _("instrument {instrument_id} does not exist").format(
                        instrument_id=instrument_id
                    ),
                )
            raise NotFound(
                _("instrument {instrument_id} does not exist").format(instrument_id=instrument_id)
            )
        return instrument

    def _amendable(self, actor: Actor, instrument_id: int) -> Instrument:
        instrument = self.load_instrument(actor, instrument_id)
        require(
            actor,
            Action.AMEND_INSTRUMENT,
            owner_id=instrument.member_id,
            partner_id=instrument.partner_id,
            record=f"instrument {instrument_id}",
        )
        return instrument

    def set_amount(
        self,
        actor: Actor,
        instrument_id: int,
        *,
        year: int,
        category: str,
        amount: Decimal,
        currency: str,
        rate_on: dt.date | None = None,
        basis: str = "",
        sources: str = "",
        illustrative: bool = False,
    ) -> int:
        """What the instrument promises for ``year`` in ``category``, as its text states it
        (``amount`` in ``currency``), and in EUR at the rate recorded for ``rate_on`` (none
        for euros). An amount already stated for that year and category is replaced."""
        instrument = self._amendable(actor, instrument_id)
        values: dict[str, Any] = {
            "year": model.year("year", year),
            "category": model.category("category", category).value,
            "amount_minor": model.amount_minor("amount", amount),
            "currency": model.currency("currency", currency),
            "basis": text_field("basis", basis, 200),
            "sources": sources_field(sources),
            "illustrative": illustrative,
        }
        values["eur_cents"], values["rate_id"] = values["amount_minor"], None
        if values["currency"] != EUR:
            rate = self._rate(values["currency"], rate_on)
            cents = model.to_eur_cents(values["amount_minor"], rate.units_per_eur)
            values["eur_cents"], values["rate_id"] = cents, rate.id
        check_cents("amount", values["eur_cents"])
        row = self.s.scalar(
            select(InstrumentAmount).where(
                InstrumentAmount.instrument_id == instrument.id,
                InstrumentAmount.year == values["year"],
                InstrumentAmount.category == values["category"],
            )
        )
        before = None if row is None else _amount_snapshot(row)
        if row is None:
            row = InstrumentAmount(instrument_id=instrument.id)
            self.s.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        self.s.flush()
        after = {"instrument_id": instrument.id, **_amount_snapshot(row)}
        now = self.uow.clock.now()
        self.uow.audit(actor, now, "instrument.amount", "instrument_amount", row.id, before, after)
        return row.id

    def add_obligation(
        self,
        actor: Actor,
        instrument_id: int,
        *,
        trigger: str,
        action: str,
        within_hours: int,
        description: str = "",
        sources: str = "",
        illustrative: bool = False,
    ) -> int:
        """A clause with a clock: when ``trigger`` happens the signatory must ``action``
        within ``within_hours`` (an armed attack → consult within 24 hours)."""
        instrument = self._amendable(actor, instrument_id)
        obligation = Obligation(
            instrument_id=instrument.id,
            trigger=model.trigger("trigger", trigger).value,
            action=model.obligation_action("action", action).value,
            within_hours=model.within_hours("within_hours", within_hours),
            description=text_field("description", description, 2000, multiline=True),
            sources=sources_field(sources),
            illustrative=illustrative,
        )
        self.s.add(obligation)
        self.s.flush()
        after = {
            "instrument_id": instrument.id,
            "trigger": obligation.trigger,
            "action": obligation.action,
            "within_hours": obligation.within_hours,
            "illustrative": illustrative,
        }
        now = self.uow.clock.now()
        self.uow.audit(
            actor, now, "instrument.obligation", "obligation", obligation.id, None, after
        )
        return obligation.id

    def give_notice(
        self, actor: Actor, instrument_id: int, *, given_on: dt.date, by: str | None = None
    ) -> None:
        """Either party — the signatory or the partner — gives notice to terminate, for
        itself; the secretariat records a notice either gave. The instrument binds until the
        notice period has run (``model.ends_on``)."""
        instrument = self.load_instrument(actor, instrument_id)
        record = f"instrument {instrument_id}"
        owner, partner = instrument.member_id, instrument.partner_id
        require(actor, Action.GIVE_NOTICE, owner_id=owner, partner_id=partner, record=record)
        party = self._party(actor, instrument, by)
        check_day("given_on", given_on)
        model.require_notice_may_be_given(
            given_on,
            signed_on=instrument.signed_on,
            today=self._today(),
            already_given_on=instrument.notice_given_on,
            term_ends_on=instrument.valid_until,
        )
        before = snapshot(instrument)
        instrument.notice_given_on, instrument.notice_given_by_id = given_on, party.id
        after = {
            **snapshot(instrument),
            "by": party.code,
            "ends_on": model.ends_on(
                instrument.valid_until, given_on, instrument.termination_notice_months
            ),
        }
        now = self.uow.clock.now()
        self.uow.audit(actor, now, "instrument.notice", "instrument", instrument.id, before, after)

    def _party(self, actor: Actor, instrument: Instrument, code: str | None) -> Delegation:
        """The party giving notice: the actor's own delegation, or for the secretariat the
        one it names."""
        code = code or (None if actor.is_secretariat or actor.system else actor.delegation)
        if code is None:
            raise InvalidInput(
                "by", _("name the party giving notice: the signatory or the partner")
            )
        party = delegation_by_code(self.s, code, "by")
        if party.id not in (instrument.member_id, instrument.partner_id):
            raise InvalidInput(
                "by",
                _("{party} is not a party to instrument {instrument}").format(
                    party=party.code, instrument=instrument.id
                ),
            )
        speaks_for_itself = actor.is_secretariat or actor.system
        if not speaks_for_itself and party.id != actor.delegation_id:
            raise Forbidden(
                _(
                    "{actor} may not give notice for {party}: each party gives its own notice"
                ).format(actor=actor.delegation, party=party.code)
            )
        return party

    # ---- offers that fulfil instruments --------------------------------------------------

    def _linkable_offer(self, actor: Actor, offer_id: int) -> Offer:
        missing = _("offer {offer_id} does not exist").format(offer_id=offer_id)
        offer = readable_for_update(self.s, Offer, offer_id, readable_offers(actor), missing)
        require(
            actor,
            Action.LINK_OFFER,
            owner_id=offer.member_id,
            partner_id=offer.partner_id,
            record=f"offer {offer_id}",
        )
        return offer

    def link_offer(
        self, actor: Actor, offer_id: int, instrument_id: int, year: int | None = None
    ) -> None:
        """The offer fulfils the instrument: its ledger entries count toward ``year`` (None:
        each toward the year it occurred in). A link to another instrument or year is moved,
        and the move audited with what it was before."""
        offer = self._linkable_offer(actor, offer_id)
        instrument = self.load_instrument(actor, instrument_id, field="instrument_id")
        if offer.member_id != instrument.member_id:
            raise RuleViolation(
                _(
                    "offer {offer_id} and instrument {instrument_id} have different signatories"
                ).format(offer_id=offer_id, instrument_id=instrument_id),
                rule="an offer fulfils an instrument of its own member",
            )
        if offer.partner_id != instrument.partner_id:
            raise RuleViolation(
                _(
                    "offer {offer_id} and instrument {instrument_id} concern different partners"
                ).format(offer_id=offer_id, instrument_id=instrument_id),
                rule="an offer fulfils an instrument with its own partner",
            )
        if year is not None:
            model.year("year", year)
        link = self.s.get(InstrumentOffer, offer.id)
        before = None if link is None else {"instrument_id": link.instrument_id, "year": link.year}
        after = {"instrument_id": instrument.id, "year": year}
        if before == after:
            return
        now = self.uow.clock.now()
        if link is None:
            link = InstrumentOffer(offer_id=offer.id)
            self.s.add(link)
        link.instrument_id, link.year, link.linked_at = instrument.id, year, now
        self.s.flush()
        self.uow.audit(actor, now, "instrument.link_offer", "offer", offer.id, before, after)

    def unlink_offer(self, actor: Actor, offer_id: int) -> None:
        """The offer no longer counts toward any instrument (its ledger is untouched)."""
        offer = self._linkable_offer(actor, offer_id)
        link = self.s.get(InstrumentOffer, offer.id)
        if link is None:
            raise RuleViolation(
                _("offer {offer_id} is linked to no instrument").format(offer_id=offer_id),
                rule="only a linked offer is unlinked",
            )
        before = {"instrument_id": link.instrument_id, "year": link.year}
        self.s.delete(link)
        self.s.flush()
        now = self.uow.clock.now()
        self.uow.audit(actor, now, "instrument.unlink_offer", "offer", offer.id, before, None)

    # ---- the membership pathway ----------------------------------------------------------

    def add_step(
        self,
        actor: Actor,
        *,
        kind: str,
        title: str,
        partner: str | None = None,
        description: str = "",
        status: str = model.StepStatus.NOT_STARTED.value,
        due_on: dt.date | None = None,
        sources: str = "",
        illustrative: bool = False,
        releasability: str | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """A milestone or condition on the partner's pathway to membership (the secretariat)."""
        payload = idempotency.payload_of(locals())
        released = policy.releasability("releasability", PATHWAY_DEFAULT, releasability)
        partner_d = the_partner(self.s, partner)
        require(actor, Action.KEEP_PATHWAY, partner_id=partner_d.id, record=f"for {partner_d.code}")
        again = idempotency.replayed(self.s, actor.name, "pathway_step", idempotency_key, payload)
        if again is not None:
            return again
        now = self.uow.clock.now()
        step = PathwayStep(
            partner_id=partner_d.id,
            kind=model.step_kind("kind", kind).value,
            title=text_field("title", title, 300, required=True),
            description=text_field("description", description, 5000, multiline=True),
            status=model.step_status("status", status).value,
            evidence="",
            due_on=check_day("due_on", due_on) if due_on is not None else None,
            updated_at=now,
            sources=sources_field(sources),
            illustrative=illustrative,
            releasability=released.value,
        )
        self.s.add(step)
        self.s.flush()
        key = idempotency_key
        idempotency.remember(self.s, actor.name, "pathway_step", key, payload, step.id, now)
        self.uow.audit(
            actor, now, "pathway.add", "pathway_step", step.id, None, _step_snapshot(step)
        )
        return step.id

    def load_step(self, actor: Actor, step_id: int, field: str = "") -> PathwayStep:
        missing = _("pathway step {step_id} does not exist").format(step_id=step_id)
        return readable_for_update(
            self.s, PathwayStep, step_id, readable_pathway(actor), missing, field
        )

    def update_step(
        self,
        actor: Actor,
        step_id: int,
        *,
        status: str | None = None,
        evidence: str | None = None,
    ) -> None:
        """Set a step's status (the secretariat) and/or add evidence to it (the partner, or
        the secretariat); evidence is added, dated and signed, never replaced."""
        step = self.load_step(actor, step_id)
        record, partner = f"pathway step {step_id}", step.partner_id
        evidence = (
            None if evidence is None else text_field("evidence", evidence, 5000, multiline=True)
        )
        if status is None and not evidence:
            raise InvalidInput("status", _("give a status, or evidence to add"))
        if status is not None:
            require(actor, Action.KEEP_PATHWAY, partner_id=partner, record=record)
        if evidence:
            require(actor, Action.ADD_EVIDENCE, partner_id=partner, record=record)
        before, now = _step_snapshot(step), self.uow.clock.now()
        if status is not None:
            step.status = model.step_status("status", status).value
        if evidence:
            line = f"{now.date()} ({actor.delegation or actor.name}): {evidence}"
            step.evidence = f"{step.evidence}\n{line}".strip()
        step.updated_at = now
        after = _step_snapshot(step)
        self.uow.audit(actor, now, "pathway.update", "pathway_step", step.id, before, after)

    def table_invitation_question(
        self,
        actor: Actor,
        step_id: int,
        *,
        text: str,
        title: str = "Invitation to join the alliance",
        tabled_by: str | None = None,
        meeting_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """Table the invitation question as a council proposal (through the council, in this
        transaction) and link it to the pathway step; the proposal's id."""
        payload = idempotency.payload_of(locals())
        step = self.load_step(actor, step_id, field="step_id")
        require(
            actor,
            Action.TABLE_QUESTION,
            partner_id=step.partner_id,
            record=f"pathway step {step_id}",
        )
        scope = "invitation_question"
        again = idempotency.replayed(self.s, actor.name, scope, idempotency_key, payload)
        if again is not None:
            return again
        current = self._question_state(step)
        if not model.question_may_be_tabled(current):
            raise RuleViolation(
                _(
                    "pathway step {step_id} has the invitation question already: "
                    "proposal {proposal_id} ({state})"
                ).format(step_id=step_id, proposal_id=step.proposal_id, state=term(current)),
                rule="the invitation question is tabled once, again only once withdrawn",
            )
        proposal_id = CouncilService(self.uow).table_proposal(
            actor, title=title, text=text, tabled_by=tabled_by, meeting_id=meeting_id
        )
        before, now = _step_snapshot(step), self.uow.clock.now()
        step.proposal_id, step.updated_at = proposal_id, now
        key = idempotency_key
        idempotency.remember(self.s, actor.name, scope, key, payload, proposal_id, now)
        after = _step_snapshot(step)
        self.uow.audit(actor, now, "pathway.question", "pathway_step", step.id, before, after)
        return proposal_id

    def _question_state(self, step: PathwayStep) -> str | None:
        if step.proposal_id is None:
            return None
        return self.s.scalar(select(Proposal.state).where(Proposal.id == step.proposal_id))
