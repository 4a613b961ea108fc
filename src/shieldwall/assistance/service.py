"""Use cases of the assistance ledger, each audited, each run in the unit of work it is given.

Every operation checks the rules of ``model`` and the permissions of ``policy`` before it
writes; a refused operation raises, and the unit of work it runs in rolls back whole, so it
changes nothing.

The checks run under the lock of what they check (DESIGN rule 2). On SQLite the unit of work
holds the database's write lock from its start. On PostgreSQL each use case locks the rows it
checks before it reads them: the offer (``FOR UPDATE``) before its state and balances; a
delivery, then its offer, before settling it; a request (``FOR UPDATE``) before ending it and
(``FOR SHARE``) before answering it; an idempotency key (an advisory lock on its name, see
``kit.idempotency``) once the user is known to be allowed the operation, before replaying or
creating. No use case locks an offer before a delivery, or waits for a key while holding a
row that a holder of that key will want, and the audit chain's lock always comes last: so two
use cases never wait for each other in a circle.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor, Releasability, widened
from shieldwall.assistance import balances, model
from shieldwall.assistance.model import (
    Amount,
    Balances,
    DeliveryState,
    EntryType,
    Measure,
    Movement,
    OfferAction,
    OfferState,
    RequestState,
)
from shieldwall.assistance.policy import (
    OFFER_DEFAULT,
    OFFER_PERMISSION,
    REQUEST_DEFAULT,
    Action,
    require,
)
from shieldwall.assistance.tables import (
    AssistanceRequest,
    CapabilityArea,
    CapabilityItem,
    Delivery,
    LedgerEntry,
    Offer,
    RequestAddressee,
)
from shieldwall.assistance.visibility import readable_offers, readable_requests
from shieldwall.delegations.model import DelegationKind, is_seated
from shieldwall.delegations.service import delegation_by_code, the_partners
from shieldwall.delegations.tables import Delegation
from shieldwall.kit import idempotency
from shieldwall.kit.amounts import check_delta
from shieldwall.kit.errors import IllegalTransition, InvalidInput, NotFound, RuleViolation
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.uow import UnitOfWork, readable_for_update


def area_by_code(session: Session, code: str, field: str = "area") -> CapabilityArea:
    found = session.scalar(select(CapabilityArea).where(CapabilityArea.code == code))
    if found is None:
        raise InvalidInput(field, _("no capability area {code!r}").format(code=code))
    return found


def item_by_code(session: Session, code: str, field: str = "item") -> CapabilityItem:
    found = session.scalar(select(CapabilityItem).where(CapabilityItem.code == code))
    if found is None:
        raise InvalidInput(field, _("no catalogue item {code!r}").format(code=code))
    return found


def offer_balances(session: Session, offer_id: int) -> Balances:
    """An offer's balances, as maintained with its ledger entries (``balances``)."""
    return balances.offer_balances(session, [offer_id]).get(offer_id, Balances())


def pending_delivery_quantity(session: Session, offer_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Delivery.quantity), 0)).where(
                Delivery.offer_id == offer_id, Delivery.state == DeliveryState.RECORDED
            )
        )
        or 0
    )


def _snapshot(offer: Offer, balances: Balances) -> dict[str, Any]:
    return {
        "state": offer.state,
        "offered": [balances.offered.quantity, balances.offered.value_cents],
        "committed": [balances.committed.quantity, balances.committed.value_cents],
        "delivered": [balances.delivered.quantity, balances.delivered.value_cents],
    }


# Who makes offers: the alliance's members, and contributors outside it (the EU, Japan).
OFFERING_KINDS = frozenset({DelegationKind.MEMBER, DelegationKind.CONTRIBUTOR})


class Seated(Protocol):
    """A delegation as the seating rule reads it (a row, or an importer's copy of one)."""

    @property
    def code(self) -> str: ...

    @property
    def joined_on(self) -> dt.date | None: ...

    @property
    def left_on(self) -> dt.date | None: ...


def require_seated(member: Seated, on: dt.date) -> None:
    if not is_seated(member.joined_on, member.left_on, on):
        raise RuleViolation(
            _("{member} is not a member of the council on {day}").format(
                member=member.code, day=on
            ),
            rule="only members make offers",
        )


def _filed_request(
    request: AssistanceRequest,
    partner: Delegation,
    area: CapabilityArea,
    item: CapabilityItem | None,
    addressees: list[Delegation],
) -> dict[str, Any]:
    """What the audit keeps of a request just filed: its parties and what it asks for, by code,
    so the trail reads without the tables it was written from."""
    return {
        "partner": partner.code,
        "area": area.code,
        "item": item.code if item else None,
        "quantity": request.quantity,
        "value_cents": request.value_cents,
        "addressees": [d.code for d in addressees],
        "releasability": request.releasability,
    }


def offer_value(item: CapabilityItem | None, quantity: int, value_cents: int | None) -> int:
    """The value given, else the item's reference value of the quantity; never negative."""
    if value_cents is None:
        unit = _reference_price(item) if item else None
        value_cents = model.value_at_reference_price(quantity, unit, "value_eur")
    model.require_value("value_eur", value_cents)
    return value_cents


def _reference_price(item: CapabilityItem) -> int:
    """The item's reference unit value; an item with none (a weapon Kiel values only with its
    category) has no price to go by, so the value must be given."""
    if item.reference_unit_value_cents is None:
        raise InvalidInput(
            "value_eur",
            _("{item} has no reference unit value: give the value in EUR").format(item=item.name),
        )
    return item.reference_unit_value_cents


class AssistanceService:
    """Use cases of the ledger; each runs in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.s = uow.session

    # ---- catalogue -------------------------------------------------------------------------

    def add_area(self, actor: Actor, code: str, name: str, description: str = "") -> int:
        require(actor, Action.EDIT_CATALOGUE)
        if self.s.scalar(select(CapabilityArea.id).where(CapabilityArea.code == code)):
            raise InvalidInput(
                "code", _("capability area {code!r} already exists").format(code=code)
            )
        area = CapabilityArea(code=code, name=name, description=description)
        self.s.add(area)
        self.s.flush()
        self.uow.audit(
            actor,
            self.uow.clock.now(),
            "area.add",
            "capability_area",
            area.id,
            None,
            {"code": code, "name": name},
        )
        return area.id

    def add_item(
        self,
        actor: Actor,
        *,
        code: str,
        name: str,
        area: str,
        unit: str,
        reference_unit_value_cents: int | None,
        price_date: dt.date | None,
        tags: list[str] | None = None,
    ) -> int:
        require(actor, Action.EDIT_CATALOGUE)
        if self.s.scalar(select(CapabilityItem.id).where(CapabilityItem.code == code)):
            raise InvalidInput(
                "code", _("catalogue item {code!r} already exists").format(code=code)
            )
        if reference_unit_value_cents is not None:
            model.require_value("reference_unit_value_eur", reference_unit_value_cents)
        item = CapabilityItem(
            code=code,
            name=name,
            area_id=area_by_code(self.s, area).id,
            unit=unit,
            reference_unit_value_cents=reference_unit_value_cents,
            price_date=price_date,
            tags=sorted(set(tags or [])),
        )
        self.s.add(item)
        self.s.flush()
        self.uow.audit(
            actor,
            self.uow.clock.now(),
            "item.add",
            "capability_item",
            item.id,
            None,
            {
                "code": code,
                "area": area,
                "unit": unit,
                "reference_unit_value_cents": reference_unit_value_cents,
            },
        )
        return item.id

    # ---- requests --------------------------------------------------------------------------

    def file_request(
        self,
        actor: Actor,
        *,
        partner: str,
        title: str,
        area: str | None,
        item: str | None,
        quantity: int | None,
        value_cents: int | None,
        priority: str,
        need_by: dt.date | None,
        justification: str,
        addressees: list[str] | None = None,
        illustrative: bool = False,
        releasability: str | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        payload = idempotency.payload_of(locals())
        level = widened("releasability", REQUEST_DEFAULT, releasability)
        partner_d = self._acting_for(actor, partner, DelegationKind.PARTNER, Action.FILE_REQUEST)
        again = idempotency.replayed(self.s, actor.name, "request", idempotency_key, payload)
        if again is not None:
            return again
        now = self.uow.clock.now()
        model.require_justification(justification)
        model.require_need_by_ahead(need_by, now.date())
        area_row, item_row, value_cents = self._what_is_requested(area, item, quantity, value_cents)
        named = self._addressees(addressees or [], now.date())
        request = AssistanceRequest(
            partner_id=partner_d.id,
            title=title.strip() or "Untitled request",
            area_id=area_row.id,
            item_id=item_row.id if item_row else None,
            quantity=quantity,
            value_cents=value_cents,
            priority=model.Priority(priority).value,
            need_by=need_by,
            justification=justification.strip(),
            to_all_members=not named,
            state=RequestState.ACTIVE,
            filed_at=now,
            illustrative=illustrative,
            releasability=level.value,
        )
        self.s.add(request)
        self.s.flush()
        self.s.add_all(RequestAddressee(request_id=request.id, delegation_id=d.id) for d in named)
        key = idempotency_key
        idempotency.remember(self.s, actor.name, "request", key, payload, request.id, now)
        filed = _filed_request(request, partner_d, area_row, item_row, named)
        self.uow.audit(actor, now, "request.file", "request", request.id, None, filed)
        return request.id

    def _acting_for(
        self, actor: Actor, code: str, kind: DelegationKind, action: Action
    ) -> Delegation:
        """The delegation of ``kind`` that ``code`` names (the field is named after the kind),
        once ``actor`` may take ``action`` for it: a partner files its own requests, a member
        makes its own offers (and so does a contributor, outside the alliance)."""
        field = kind.value
        delegation = delegation_by_code(self.s, code, field)
        kinds = OFFERING_KINDS if kind == DelegationKind.MEMBER else {kind}
        if delegation.kind not in kinds:
            what = " or ".join(sorted(k.value for k in kinds))
            raise InvalidInput(
                field,
                _("{code} is not a {kind} delegation").format(code=delegation.code, kind=what),
            )
        require(actor, action, owner_id=delegation.id, record=f"for {delegation.code}")
        return delegation

    def _what_is_requested(
        self, area: str | None, item: str | None, quantity: int | None, value_cents: int | None
    ) -> tuple[CapabilityArea, CapabilityItem | None, int]:
        """The area, the item and the value of a request: an item request needs a quantity
        and is valued at the reference price unless a value is given; an area request needs
        a value."""
        if item:
            item_row = item_by_code(self.s, item)
            area_row = self.s.get(CapabilityArea, item_row.area_id)
            assert area_row is not None
            if area and area != area_row.code:
                raise InvalidInput(
                    "area",
                    _("item {item} belongs to area {area}, not {other}").format(
                        item=item, area=area_row.code, other=area
                    ),
                )
            if quantity is None:
                raise InvalidInput("quantity", _("a request for an item needs a quantity"))
            model.require_quantity("quantity", quantity)
            if value_cents is None:
                value_cents = model.value_at_reference_price(
                    quantity, _reference_price(item_row), "value_eur"
                )
        elif area:
            item_row = None
            area_row = area_by_code(self.s, area)
            if value_cents is None:
                raise InvalidInput(
                    "value_eur", _("a request for a whole capability area needs a value in EUR")
                )
        else:
            raise InvalidInput("area", _("name a capability area or a catalogue item"))
        model.require_value("value_eur", value_cents)
        return area_row, item_row, value_cents

    def _addressees(self, codes: list[str], on: dt.date) -> list[Delegation]:
        """The named members a request is addressed to, each seated on ``on``; none means
        all members."""
        named: list[Delegation] = []
        for code in codes:
            d = delegation_by_code(self.s, code, "addressees")
            if d.kind != DelegationKind.MEMBER:
                raise InvalidInput(
                    "addressees", _("{code} is not a member delegation").format(code=d.code)
                )
            if not is_seated(d.joined_on, d.left_on, on):
                raise InvalidInput(
                    "addressees", _("{code} is not a member on {day}").format(code=d.code, day=on)
                )
            if d not in named:
                named.append(d)
        return named

    def _end_request(self, actor: Actor, request_id: int, to: RequestState, reason: str) -> None:
        request = self._load_request(actor, request_id)
        verb = "withdraw" if to == RequestState.WITHDRAWN else "close"
        require(
            actor,
            Action.WITHDRAW_REQUEST if verb == "withdraw" else Action.CLOSE_REQUEST,
            owner_id=request.partner_id,
            record=f"request {request_id}",
        )
        if request.state != RequestState.ACTIVE:
            raise IllegalTransition(f"request {request_id}", request.state, verb)
        before = request.state
        request.state = to
        request.state_reason = model.require_reason(reason)
        self.uow.audit(
            actor,
            self.uow.clock.now(),
            f"request.{verb}",
            "request",
            request_id,
            {"state": before},
            {"state": to.value, "reason": request.state_reason},
        )

    def withdraw_request(self, actor: Actor, request_id: int, reason: str) -> None:
        self._end_request(actor, request_id, RequestState.WITHDRAWN, reason)

    def close_request(self, actor: Actor, request_id: int, reason: str) -> None:
        self._end_request(actor, request_id, RequestState.CLOSED, reason)

    # ---- offers ----------------------------------------------------------------------------

    def make_offer(
        self,
        actor: Actor,
        *,
        member: str,
        kind: str,
        quantity: int,
        partner: str | None = None,
        request_id: int | None = None,
        area: str | None = None,
        item: str | None = None,
        value_cents: int | None = None,
        description: str = "",
        conditions: str = "",
        source: str = "",
        illustrative: bool = False,
        releasability: str | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        payload = idempotency.payload_of(locals())
        level = widened("releasability", OFFER_DEFAULT, releasability)
        member_d = self._acting_for(actor, member, DelegationKind.MEMBER, Action.MAKE_OFFER)
        again = idempotency.replayed(self.s, actor.name, "offer", idempotency_key, payload)
        if again is not None:
            return again
        now = self.uow.clock.now()
        require_seated(member_d, now.date())
        model.require_quantity("quantity", quantity)
        kind_v = model.AssistanceKind(kind)
        request = self._answered_request(actor, request_id, member_d) if request_id else None
        item_row, area_id = self._offered_item_and_area(request, item, area)
        partner_id = self._offer_partner(request, partner)
        value_cents = offer_value(item_row, quantity, value_cents)
        offer = Offer(
            member_id=member_d.id,
            partner_id=partner_id,
            request_id=request.id if request else None,
            kind=kind_v.value,
            area_id=area_id,
            item_id=item_row.id if item_row else None,
            description=description,
            quantity=quantity,
            value_cents=value_cents,
            conditions=conditions,
            state=OfferState.OFFERED,
            offered_at=now,
            source=source,
            illustrative=illustrative,
            releasability=level.value,
        )
        self.s.add(offer)
        self.s.flush()
        offered = Movement(EntryType.OFFERED, Measure.OFFERED, Amount(quantity, value_cents))
        self._post(offer, offered, now.date(), now)
        idempotency.remember(self.s, actor.name, "offer", idempotency_key, payload, offer.id, now)
        after = _snapshot(offer, offer_balances(self.s, offer.id))
        self.uow.audit(actor, now, "offer.make", "offer", offer.id, None, after)
        return offer.id

    def _answered_request(
        self, actor: Actor, request_id: int, member_d: Delegation
    ) -> AssistanceRequest:
        """The active request an offer answers, addressed to the offering member; locked
        (shared) until the offer is made, so that it cannot be withdrawn or closed meanwhile.
        Requests are addressed to members: a contributor's offers answer none."""
        request = self.s.scalar(
            select(AssistanceRequest)
            .where(AssistanceRequest.id == request_id, readable_requests(actor))
            .with_for_update(read=True)
        )
        if request is None and member_d.kind != DelegationKind.CONTRIBUTOR:
            raise InvalidInput("request_id", _("request {id} does not exist").format(id=request_id))
        addressed = request is not None and (
            request.to_all_members
            or self.s.get(RequestAddressee, (request.id, member_d.id)) is not None
        )
        model.check_request_answerable(
            request_id,
            request.state if request else RequestState.ACTIVE,
            addressed,
            member_d.code,
            member_d.kind == DelegationKind.CONTRIBUTOR,
        )
        assert request is not None
        return request

    def _offered_item_and_area(
        self, request: AssistanceRequest | None, item: str | None, area: str | None
    ) -> tuple[CapabilityItem | None, int]:
        """What is offered: an item (by default the request's) or a whole area. An offer
        against a request is in the request's area, and offers the item it asks for."""
        item_row = item_by_code(self.s, item) if item else None
        if item_row is None and request is not None and request.item_id is not None:
            item_row = self.s.get(CapabilityItem, request.item_id)
        if item_row is not None:
            area_id = item_row.area_id
            if area is not None:
                model.require_item_in_area(
                    item_row.code, area_id, area, area_by_code(self.s, area).id
                )
        elif area is not None:
            area_id = area_by_code(self.s, area).id
        elif request is not None:
            area_id = request.area_id
        else:
            raise InvalidInput("item", _("name a catalogue item or a capability area"))
        if request is not None:
            model.check_offer_fits_request(
                request.id,
                request.area_id,
                request.item_id,
                area_id,
                item_row.id if item_row else None,
                self._shares_a_tag(request.item_id, item_row),
            )
        return item_row, area_id

    def _shares_a_tag(self, requested: int | None, item_row: CapabilityItem | None) -> bool:
        """The offered item stands in for the requested one (``model.stands_in_for``)."""
        asked = self.s.get(CapabilityItem, requested) if requested is not None else None
        return model.stands_in_for(asked, item_row)

    def _offer_partner(self, request: AssistanceRequest | None, partner: str | None) -> int:
        """The partner an offer is for: the request's, else the one named, else the council's
        only partner."""
        if request is not None:
            if partner is not None and (
                delegation_by_code(self.s, partner, "partner").id != request.partner_id
            ):
                raise InvalidInput("partner", _("differs from the partner who filed the request"))
            return request.partner_id
        if partner is None:
            partners = the_partners(self.s)
            if len(partners) != 1:
                raise InvalidInput("partner", _("name the partner the offer is for"))
            return partners[0].id
        partner_d = delegation_by_code(self.s, partner, "partner")
        if partner_d.kind != DelegationKind.PARTNER:
            raise InvalidInput("partner", _("{code} is not a partner").format(code=partner_d.code))
        return partner_d.id

    def _post(
        self,
        offer: Offer,
        movement: Movement,
        occurred_on: dt.date,
        now: dt.datetime,
        *,
        delivery_id: int | None = None,
        reason: str | None = None,
    ) -> LedgerEntry:
        """Append one ledger entry, carrying the offer's keys for the summaries."""
        entry = LedgerEntry(
            entry_type=movement.entry_type.value,
            measure=movement.measure.value,
            offer_id=offer.id,
            delivery_id=delivery_id,
            request_id=offer.request_id,
            member_id=offer.member_id,
            partner_id=offer.partner_id,
            kind=offer.kind,
            area_id=offer.area_id,
            item_id=offer.item_id,
            quantity=movement.delta.quantity,
            value_cents=movement.delta.value_cents,
            occurred_on=occurred_on,
            month=occurred_on.strftime("%Y-%m"),
            recorded_at=now,
            reason=reason,
        )
        self.s.add(entry)
        self.s.flush()
        columns = {c.key: getattr(entry, c.key) for c in LedgerEntry.__table__.columns}
        balances.record(self.s, [columns], {offer.id: offer.releasability})
        return entry

    def _load_offer(self, actor: Actor, offer_id: int) -> Offer:
        """The offer, locked for this transaction; 404 if it does not exist or is not
        visible to ``actor`` (existence is not disclosed)."""
        missing = _("offer {id} does not exist").format(id=offer_id)
        return readable_for_update(self.s, Offer, offer_id, readable_offers(actor), missing)

    def _offer_for(
        self, actor: Actor, offer_id: int, permission: Action, record: str = ""
    ) -> Offer:
        """The offer, loaded as ``_load_offer`` does, once ``actor`` may take ``permission``
        on it (403 otherwise, naming who may)."""
        offer = self._load_offer(actor, offer_id)
        require(
            actor,
            permission,
            owner_id=offer.member_id,
            partner_id=offer.partner_id,
            record=record or f"offer {offer_id}",
        )
        return offer

    def _load_request(self, actor: Actor, request_id: int) -> AssistanceRequest:
        missing = _("request {id} does not exist").format(id=request_id)
        return readable_for_update(
            self.s, AssistanceRequest, request_id, readable_requests(actor), missing
        )

    def _act(
        self,
        actor: Actor,
        offer_id: int,
        action: OfferAction,
        *,
        reason: str | None = None,
        quantity: int | None = None,
    ) -> None:
        """Accept, decline, withdraw, commit or cancel an offer."""
        offer = self._offer_for(actor, offer_id, OFFER_PERMISSION[action])
        target = model.transition(f"offer {offer_id}", offer.state, action)
        assert target is not None
        now = self.uow.clock.now()
        before = offer_balances(self.s, offer.id)
        snapshot = _snapshot(offer, before)
        if model.needs_reason(action):
            reason = model.require_reason(reason)
        if action == OfferAction.CANCEL and pending_delivery_quantity(self.s, offer.id):
            raise RuleViolation(
                _(
                    "offer {id} has deliveries awaiting confirmation; confirm or reject them first"
                ).format(id=offer_id),
                rule="settle pending deliveries before cancelling",
            )
        movement = model.offer_movement(action, before, quantity)
        after = before
        if movement is not None and (movement.delta.quantity or movement.delta.value_cents):
            after = before.moved(movement.measure, movement.delta)
            model.check_balances(after)
            self._post(offer, movement, now.date(), now, reason=reason)
        offer.state = target.value
        if reason is not None:
            offer.state_reason = reason
        self.uow.audit(
            actor,
            now,
            f"offer.{action.name.lower()}",
            "offer",
            offer.id,
            snapshot,
            _snapshot(offer, after) | ({"reason": reason} if reason else {}),
        )

    def accept(self, actor: Actor, offer_id: int) -> None:
        self._act(actor, offer_id, OfferAction.ACCEPT)

    def decline(self, actor: Actor, offer_id: int, reason: str) -> None:
        self._act(actor, offer_id, OfferAction.DECLINE, reason=reason)

    def withdraw(self, actor: Actor, offer_id: int, reason: str) -> None:
        self._act(actor, offer_id, OfferAction.WITHDRAW, reason=reason)

    def commit(self, actor: Actor, offer_id: int, quantity: int | None = None) -> None:
        self._act(actor, offer_id, OfferAction.COMMIT, quantity=quantity)

    def cancel(self, actor: Actor, offer_id: int, reason: str) -> None:
        self._act(actor, offer_id, OfferAction.CANCEL, reason=reason)

    # ---- deliveries ------------------------------------------------------------------------

    def record_delivery(
        self,
        actor: Actor,
        offer_id: int,
        *,
        quantity: int,
        delivered_on: dt.date | None = None,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> int:
        payload = idempotency.payload_of(locals())
        offer = self._offer_for(actor, offer_id, OFFER_PERMISSION[OfferAction.RECORD_DELIVERY])
        again = idempotency.replayed(self.s, actor.name, "delivery", idempotency_key, payload)
        if again is not None:
            return again
        model.transition(f"offer {offer_id}", offer.state, OfferAction.RECORD_DELIVERY)
        now = self.uow.clock.now()
        model.require_quantity("quantity", quantity)
        on = delivered_on or now.date()
        model.require_not_future("delivered_on", on, now.date())
        balances = offer_balances(self.s, offer.id)
        model.check_balances(balances, pending_delivery_quantity(self.s, offer.id) + quantity)
        delivery = Delivery(
            offer_id=offer.id,
            quantity=quantity,
            delivered_on=on,
            note=note,
            state=DeliveryState.RECORDED,
            recorded_at=now,
        )
        self.s.add(delivery)
        self.s.flush()
        idempotency.remember(
            self.s, actor.name, "delivery", idempotency_key, payload, delivery.id, now
        )
        self.uow.audit(
            actor,
            now,
            "delivery.record",
            "delivery",
            delivery.id,
            None,
            {"offer": offer.id, "quantity": quantity, "delivered_on": on.isoformat()},
        )
        return delivery.id

    def _settle_delivery(
        self, actor: Actor, delivery_id: int, confirm: bool, reason: str | None
    ) -> None:
        delivery = self.s.get(Delivery, delivery_id, with_for_update=True)
        if delivery is None:
            raise NotFound(_("delivery {id} does not exist").format(id=delivery_id))
        try:
            offer = self._offer_for(
                actor, delivery.offer_id, Action.SETTLE_DELIVERY, record=f"delivery {delivery_id}"
            )
        except NotFound:  # a delivery of an offer one may not see does not exist either
            raise NotFound(_("delivery {id} does not exist").format(id=delivery_id)) from None
        verb = "confirm" if confirm else "reject"
        if delivery.state != DeliveryState.RECORDED:
            raise IllegalTransition(f"delivery {delivery_id}", delivery.state, verb)
        now = self.uow.clock.now()
        before = offer_balances(self.s, offer.id)
        snapshot = _snapshot(offer, before)
        after = before
        if confirm:
            movement = model.delivery_movement(before, delivery.quantity)
            after = before.moved(Measure.DELIVERED, movement.delta)
            pending_others = pending_delivery_quantity(self.s, offer.id) - delivery.quantity
            model.check_balances(after, pending_others)
            self._post(offer, movement, delivery.delivered_on, now, delivery_id=delivery.id)
            delivery.state = DeliveryState.CONFIRMED
            offer.state = model.settled_state(OfferState(offer.state), after).value
        else:
            delivery.state = DeliveryState.REJECTED
            delivery.state_reason = model.require_reason(reason)
        delivery.settled_at = now
        self.uow.audit(
            actor,
            now,
            f"delivery.{verb}",
            "delivery",
            delivery.id,
            {"state": DeliveryState.RECORDED.value, "offer": snapshot},
            {
                "state": delivery.state,
                "offer": _snapshot(offer, after),
                "reason": delivery.state_reason,
            },
        )

    def confirm_delivery(self, actor: Actor, delivery_id: int) -> None:
        self._settle_delivery(actor, delivery_id, True, None)

    def reject_delivery(self, actor: Actor, delivery_id: int, reason: str) -> None:
        self._settle_delivery(actor, delivery_id, False, reason)

    # ---- corrections -----------------------------------------------------------------------

    def correct(
        self,
        actor: Actor,
        offer_id: int,
        *,
        measure: str,
        quantity_delta: int,
        value_delta_cents: int,
        reason: str,
        occurred_on: dt.date | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """Append a correcting entry; nothing already written is edited (DESIGN rule 1)."""
        payload = idempotency.payload_of(locals())
        offer = self._offer_for(actor, offer_id, Action.CORRECT_LEDGER)
        model.require_own_figure(f"offer {offer_id}", offer.state, model.CORRECT)
        again = idempotency.replayed(self.s, actor.name, "correction", idempotency_key, payload)
        if again is not None:
            return again
        now = self.uow.clock.now()
        why = model.require_reason(reason)
        if quantity_delta == 0 and value_delta_cents == 0:
            raise InvalidInput("quantity_delta", _("a correction must change something"))
        check_delta("quantity_delta", quantity_delta, "value_delta_eur", value_delta_cents)
        delta = Amount(quantity_delta, value_delta_cents)
        measure_v = Measure(measure)
        before = offer_balances(self.s, offer.id)
        after = before.moved(measure_v, delta)
        model.check_balances(after, pending_delivery_quantity(self.s, offer.id))
        model.check_within_maxima(after, "quantity_delta", "value_delta_eur")
        movement = Movement(EntryType.CORRECTION, measure_v, delta)
        entry = self._post(offer, movement, occurred_on or now.date(), now, reason=why)
        snapshot = _snapshot(offer, before)
        offer.state = model.settled_state(OfferState(offer.state), after).value
        idempotency.remember(
            self.s, actor.name, "correction", idempotency_key, payload, entry.id, now
        )
        self.uow.audit(
            actor,
            now,
            "ledger.correct",
            "offer",
            offer.id,
            snapshot,
            _snapshot(offer, after) | {"entry": entry.id, "reason": why},
        )
        return entry.id

    # ---- releasability --------------------------------------------------------------------

    def widen(self, actor: Actor, record_type: str, record_id: int, to: str) -> None:
        """Release a request or an offer more widely. Never narrower: what was released stays."""
        record: AssistanceRequest | Offer
        if record_type == "request":
            record = self._load_request(actor, record_id)
            owner = record.partner_id
        else:
            record = self._load_offer(actor, record_id)
            owner = record.member_id
        require(
            actor, Action.WIDEN_RELEASABILITY, owner_id=owner, record=f"{record_type} {record_id}"
        )
        current = Releasability(record.releasability)
        level = widened("releasability", current, to)
        if level != current:
            record.releasability = level.value
            if isinstance(record, Offer):  # its entries' sums move with it
                balances.move_offer(self.s, record.id, current.value, level.value)
            self.uow.audit(
                actor,
                self.uow.clock.now(),
                f"{record_type}.widen",
                record_type,
                record_id,
                {"releasability": current.value},
                {"releasability": level.value},
            )
