"""Use cases of the assistance ledger: one transaction each, each audited.

Every operation checks the rules of ``model`` before it writes; a refused operation raises and
its transaction rolls back whole, so it changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from shieldwall import idempotency
from shieldwall.access.model import Actor, Releasability
from shieldwall.access.visibility import visible_offers, visible_requests
from shieldwall.assistance import model
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
from shieldwall.assistance.policy import Action, require
from shieldwall.assistance.tables import (
    AssistanceRequest,
    CapabilityArea,
    CapabilityItem,
    Delivery,
    LedgerEntry,
    Offer,
    RequestAddressee,
)
from shieldwall.audit.service import audit
from shieldwall.clock import Clock
from shieldwall.council.model import DelegationKind, is_seated
from shieldwall.council.tables import Delegation
from shieldwall.db import transaction
from shieldwall.errors import IllegalTransition, InvalidInput, NotFound, RuleViolation


def delegation_by_code(session: Session, code: str, field: str) -> Delegation:
    found = session.scalar(select(Delegation).where(Delegation.code == code.upper()))
    if found is None:
        raise InvalidInput(field, f"no delegation with code {code!r}")
    return found


def area_by_code(session: Session, code: str, field: str = "area") -> CapabilityArea:
    found = session.scalar(select(CapabilityArea).where(CapabilityArea.code == code))
    if found is None:
        raise InvalidInput(field, f"no capability area {code!r}")
    return found


def item_by_code(session: Session, code: str, field: str = "item") -> CapabilityItem:
    found = session.scalar(select(CapabilityItem).where(CapabilityItem.code == code))
    if found is None:
        raise InvalidInput(field, f"no catalogue item {code!r}")
    return found


def offer_balances(session: Session, offer_id: int) -> Balances:
    rows = session.execute(
        select(
            LedgerEntry.measure,
            func.coalesce(func.sum(LedgerEntry.quantity), 0),
            func.coalesce(func.sum(LedgerEntry.value_cents), 0),
        )
        .where(LedgerEntry.offer_id == offer_id)
        .group_by(LedgerEntry.measure)
    ).all()
    amounts = {Measure(m): Amount(int(q), int(v)) for m, q, v in rows}
    return Balances(
        offered=amounts.get(Measure.OFFERED, Amount()),
        committed=amounts.get(Measure.COMMITTED, Amount()),
        delivered=amounts.get(Measure.DELIVERED, Amount()),
    )


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


REQUEST_DEFAULT = Releasability.ADDRESSEES
OFFER_DEFAULT = Releasability.PARTNER


def widened(field: str, default: Releasability, asked: str | None) -> Releasability:
    """The author may widen a record's releasability beyond its type's default, never narrow."""
    if asked is None:
        return default
    try:
        level = Releasability(asked)
    except ValueError:
        raise InvalidInput(
            field, f"use one of {', '.join(r.value for r in Releasability)}"
        ) from None
    if level.rank < default.rank:
        raise InvalidInput(field, f"may only widen the default ({default.value}), not narrow it")
    return level


def _reason(reason: str | None, field: str = "reason") -> str:
    if reason is None or not reason.strip():
        raise InvalidInput(field, "a reason is required")
    return reason.strip()


class AssistanceService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self.factory = factory
        self.clock = clock

    # ---- catalogue -------------------------------------------------------------------------

    def add_area(self, actor: Actor, code: str, name: str, description: str = "") -> int:
        require(actor, Action.EDIT_CATALOGUE)
        with transaction(self.factory) as s:
            if s.scalar(select(CapabilityArea.id).where(CapabilityArea.code == code)):
                raise InvalidInput("code", f"capability area {code!r} already exists")
            area = CapabilityArea(code=code, name=name, description=description)
            s.add(area)
            s.flush()
            audit(
                s,
                actor,
                self.clock.now(),
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
        reference_unit_value_cents: int,
        price_date: dt.date,
        tags: list[str] | None = None,
    ) -> int:
        require(actor, Action.EDIT_CATALOGUE)
        with transaction(self.factory) as s:
            if s.scalar(select(CapabilityItem.id).where(CapabilityItem.code == code)):
                raise InvalidInput("code", f"catalogue item {code!r} already exists")
            if reference_unit_value_cents < 0:
                raise InvalidInput("reference_unit_value_eur", "must not be negative")
            item = CapabilityItem(
                code=code,
                name=name,
                area_id=area_by_code(s, area).id,
                unit=unit,
                reference_unit_value_cents=reference_unit_value_cents,
                price_date=price_date,
                tags=sorted(set(tags or [])),
            )
            s.add(item)
            s.flush()
            audit(
                s,
                actor,
                self.clock.now(),
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
        payload = dict(locals())
        for dropped in ("self", "actor", "idempotency_key"):
            payload.pop(dropped)
        level = widened("releasability", REQUEST_DEFAULT, releasability)
        with transaction(self.factory) as s:
            again = idempotency.replayed(s, "request", idempotency_key, payload)
            if again is not None:
                return again
            now = self.clock.now()
            partner_d = delegation_by_code(s, partner, "partner")
            if partner_d.kind != DelegationKind.PARTNER:
                raise InvalidInput("partner", f"{partner_d.code} is not a partner of the council")
            require(
                actor, Action.FILE_REQUEST, owner_id=partner_d.id, record=f"for {partner_d.code}"
            )
            if not justification.strip():
                raise InvalidInput("justification", "say why the assistance is needed")
            item_row = item_by_code(s, item) if item else None
            if item_row is not None:
                area_row = s.get(CapabilityArea, item_row.area_id)
                assert area_row is not None
                if area and area != area_row.code:
                    raise InvalidInput(
                        "area", f"item {item} belongs to area {area_row.code}, not {area}"
                    )
                if quantity is None:
                    raise InvalidInput("quantity", "a request for an item needs a quantity")
                model.require_positive("quantity", quantity)
                if value_cents is None:
                    value_cents = quantity * item_row.reference_unit_value_cents
            elif area:
                area_row = area_by_code(s, area)
                if value_cents is None:
                    raise InvalidInput(
                        "value_eur", "a request for a whole capability area needs a value in EUR"
                    )
            else:
                raise InvalidInput("area", "name a capability area or a catalogue item")
            if value_cents < 0:
                raise InvalidInput("value_eur", "must not be negative")
            named: list[Delegation] = []
            for code in addressees or []:
                d = delegation_by_code(s, code, "addressees")
                if d.kind != DelegationKind.MEMBER:
                    raise InvalidInput("addressees", f"{d.code} is not a member delegation")
                if not is_seated(d.joined_on, d.left_on, now.date()):
                    raise InvalidInput("addressees", f"{d.code} is not a member on {now.date()}")
                if d not in named:
                    named.append(d)
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
            s.add(request)
            s.flush()
            for d in named:
                s.add(RequestAddressee(request_id=request.id, delegation_id=d.id))
            idempotency.remember(s, "request", idempotency_key, payload, request.id, now)
            audit(
                s,
                actor,
                now,
                "request.file",
                "request",
                request.id,
                None,
                {
                    "partner": partner_d.code,
                    "area": area_row.code,
                    "item": item_row.code if item_row else None,
                    "quantity": quantity,
                    "value_cents": value_cents,
                    "addressees": [d.code for d in named],
                    "releasability": level.value,
                },
            )
            return request.id

    def _end_request(self, actor: Actor, request_id: int, to: RequestState, reason: str) -> None:
        with transaction(self.factory) as s:
            request = self._load_request(s, actor, request_id)
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
            request.state_reason = _reason(reason)
            audit(
                s,
                actor,
                self.clock.now(),
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
        payload = dict(locals())
        for dropped in ("self", "actor", "idempotency_key"):
            payload.pop(dropped)
        level = widened("releasability", OFFER_DEFAULT, releasability)
        with transaction(self.factory) as s:
            again = idempotency.replayed(s, "offer", idempotency_key, payload)
            if again is not None:
                return again
            now = self.clock.now()
            member_d = delegation_by_code(s, member, "member")
            if member_d.kind != DelegationKind.MEMBER:
                raise InvalidInput("member", f"{member_d.code} is not a member delegation")
            require(actor, Action.MAKE_OFFER, owner_id=member_d.id, record=f"for {member_d.code}")
            if not is_seated(member_d.joined_on, member_d.left_on, now.date()):
                raise RuleViolation(
                    f"{member_d.code} is not a member of the council on {now.date()}",
                    rule="only members make offers",
                )
            model.require_positive("quantity", quantity)
            kind_v = model.AssistanceKind(kind)
            request: AssistanceRequest | None = None
            if request_id is not None:
                request = s.scalar(
                    select(AssistanceRequest).where(
                        AssistanceRequest.id == request_id, visible_requests(actor)
                    )
                )
                if request is None:
                    raise InvalidInput("request_id", f"request {request_id} does not exist")
                if request.state != RequestState.ACTIVE:
                    raise IllegalTransition(f"request {request_id}", request.state, "answer")
                if not request.to_all_members and not s.get(
                    RequestAddressee, (request.id, member_d.id)
                ):
                    raise RuleViolation(
                        f"request {request_id} is addressed to named members, not {member_d.code}",
                        rule="offers answer requests addressed to the member",
                    )
            item_row = item_by_code(s, item) if item else None
            if item_row is None and request is not None and request.item_id is not None:
                item_row = s.get(CapabilityItem, request.item_id)
            if item_row is not None:
                area_id = item_row.area_id
                if area is not None and area_by_code(s, area).id != area_id:
                    raise InvalidInput("area", f"item {item_row.code} is not in area {area}")
            elif area is not None:
                area_id = area_by_code(s, area).id
            elif request is not None:
                area_id = request.area_id
            else:
                raise InvalidInput("item", "name a catalogue item or a capability area")
            if request is not None:
                if area_id != request.area_id:
                    raise RuleViolation(
                        f"request {request.id} asks for another capability area",
                        rule="an offer against a request is in the request's area",
                    )
                if request.item_id is not None and (
                    item_row is None or item_row.id != request.item_id
                ):
                    raise RuleViolation(
                        f"request {request.id} asks for a specific item",
                        rule="an offer against an item request offers that item",
                    )
                partner_id = request.partner_id
                if (
                    partner is not None
                    and delegation_by_code(s, partner, "partner").id != partner_id
                ):
                    raise InvalidInput("partner", "differs from the partner who filed the request")
            else:
                if partner is None:
                    partners = s.scalars(
                        select(Delegation).where(Delegation.kind == DelegationKind.PARTNER)
                    ).all()
                    if len(partners) != 1:
                        raise InvalidInput("partner", "name the partner the offer is for")
                    partner_id = partners[0].id
                else:
                    partner_d = delegation_by_code(s, partner, "partner")
                    if partner_d.kind != DelegationKind.PARTNER:
                        raise InvalidInput("partner", f"{partner_d.code} is not a partner")
                    partner_id = partner_d.id
            if value_cents is None:
                if item_row is None:
                    raise InvalidInput(
                        "value_eur", "an offer without a catalogue item needs a value"
                    )
                value_cents = quantity * item_row.reference_unit_value_cents
            if value_cents < 0:
                raise InvalidInput("value_eur", "must not be negative")
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
            s.add(offer)
            s.flush()
            self._post(
                s,
                offer,
                Movement(EntryType.OFFERED, Measure.OFFERED, Amount(quantity, value_cents)),
                now.date(),
            )
            idempotency.remember(s, "offer", idempotency_key, payload, offer.id, now)
            audit(
                s,
                actor,
                now,
                "offer.make",
                "offer",
                offer.id,
                None,
                _snapshot(offer, offer_balances(s, offer.id)),
            )
            return offer.id

    def _post(
        self,
        s: Session,
        offer: Offer,
        movement: Movement,
        occurred_on: dt.date,
        *,
        delivery_id: int | None = None,
        reason: str | None = None,
    ) -> LedgerEntry:
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
            recorded_at=self.clock.now(),
            reason=reason,
        )
        s.add(entry)
        s.flush()
        return entry

    def _load_offer(self, s: Session, actor: Actor, offer_id: int) -> Offer:
        """The offer, locked for this transaction; 404 if it does not exist or is not
        visible to ``actor`` (existence is not disclosed)."""
        offer = s.scalar(
            select(Offer).where(Offer.id == offer_id, visible_offers(actor)).with_for_update()
        )
        if offer is None:
            raise NotFound(f"offer {offer_id} does not exist")
        return offer

    def _offer_for(
        self, s: Session, actor: Actor, offer_id: int, permission: Action, record: str = ""
    ) -> Offer:
        """The offer, loaded as ``_load_offer`` does, once ``actor`` may take ``permission``
        on it (403 otherwise, naming who may)."""
        offer = self._load_offer(s, actor, offer_id)
        require(
            actor,
            permission,
            owner_id=offer.member_id,
            partner_id=offer.partner_id,
            record=record or f"offer {offer_id}",
        )
        return offer

    def _load_request(self, s: Session, actor: Actor, request_id: int) -> AssistanceRequest:
        request = s.scalar(
            select(AssistanceRequest)
            .where(AssistanceRequest.id == request_id, visible_requests(actor))
            .with_for_update()
        )
        if request is None:
            raise NotFound(f"request {request_id} does not exist")
        return request

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
        with transaction(self.factory) as s:
            answer = action in (OfferAction.ACCEPT, OfferAction.DECLINE)
            offer = self._offer_for(
                s, actor, offer_id, Action.ANSWER_OFFER if answer else Action.MANAGE_OFFER
            )
            target = model.transition(f"offer {offer_id}", offer.state, action)
            assert target is not None
            now = self.clock.now()
            before = offer_balances(s, offer.id)
            snapshot = _snapshot(offer, before)
            movement: Movement | None = None
            if action in (OfferAction.DECLINE, OfferAction.WITHDRAW, OfferAction.CANCEL):
                reason = _reason(reason)
            if action == OfferAction.DECLINE:
                movement = Movement(EntryType.DECLINED, Measure.OFFERED, -before.offered)
            elif action == OfferAction.WITHDRAW:
                movement = Movement(EntryType.WITHDRAWN, Measure.OFFERED, -before.offered)
            elif action == OfferAction.COMMIT:
                qty = before.offered.quantity if quantity is None else quantity
                model.require_positive("quantity", qty)
                if qty > before.offered.quantity:
                    raise RuleViolation(
                        f"cannot commit {qty}: only {before.offered.quantity} offered",
                        rule="committed ≤ offered",
                    )
                value = model.value_step(
                    before.offered.value_cents,
                    before.offered.quantity,
                    before.committed.quantity,
                    before.committed.quantity + qty,
                )
                movement = Movement(EntryType.COMMITTED, Measure.COMMITTED, Amount(qty, value))
            elif action == OfferAction.CANCEL:
                if pending_delivery_quantity(s, offer.id):
                    raise RuleViolation(
                        f"offer {offer_id} has deliveries awaiting confirmation; "
                        "confirm or reject them first",
                        rule="settle pending deliveries before cancelling",
                    )
                undelivered = Amount(
                    before.committed.quantity - before.delivered.quantity,
                    before.committed.value_cents - before.delivered.value_cents,
                )
                movement = Movement(EntryType.CANCELLED, Measure.COMMITTED, -undelivered)
            if movement is not None and (movement.delta.quantity or movement.delta.value_cents):
                after = before.moved(movement.measure, movement.delta)
                model.check_balances(after)
                self._post(s, offer, movement, now.date(), reason=reason)
            else:
                after = before
            offer.state = target.value
            if reason is not None:
                offer.state_reason = reason
            audit(
                s,
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
        payload = {
            "offer_id": offer_id,
            "quantity": quantity,
            "delivered_on": delivered_on,
            "note": note,
        }
        with transaction(self.factory) as s:
            again = idempotency.replayed(s, "delivery", idempotency_key, payload)
            if again is not None:
                return again
            offer = self._offer_for(s, actor, offer_id, Action.RECORD_DELIVERY)
            model.transition(f"offer {offer_id}", offer.state, OfferAction.RECORD_DELIVERY)
            now = self.clock.now()
            model.require_positive("quantity", quantity)
            on = delivered_on or now.date()
            if on > now.date():
                raise InvalidInput("delivered_on", f"{on} is in the future")
            balances = offer_balances(s, offer.id)
            model.check_balances(balances, pending_delivery_quantity(s, offer.id) + quantity)
            delivery = Delivery(
                offer_id=offer.id,
                quantity=quantity,
                delivered_on=on,
                note=note,
                state=DeliveryState.RECORDED,
                recorded_at=now,
            )
            s.add(delivery)
            s.flush()
            idempotency.remember(s, "delivery", idempotency_key, payload, delivery.id, now)
            audit(
                s,
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
        with transaction(self.factory) as s:
            delivery = s.get(Delivery, delivery_id, with_for_update=True)
            if delivery is None:
                raise NotFound(f"delivery {delivery_id} does not exist")
            try:
                offer = self._offer_for(
                    s,
                    actor,
                    delivery.offer_id,
                    Action.SETTLE_DELIVERY,
                    record=f"delivery {delivery_id}",
                )
            except NotFound:  # a delivery of an offer one may not see does not exist either
                raise NotFound(f"delivery {delivery_id} does not exist") from None
            verb = "confirm" if confirm else "reject"
            if delivery.state != DeliveryState.RECORDED:
                raise IllegalTransition(f"delivery {delivery_id}", delivery.state, verb)
            now = self.clock.now()
            before = offer_balances(s, offer.id)
            snapshot = _snapshot(offer, before)
            if confirm:
                value = model.value_step(
                    before.committed.value_cents,
                    before.committed.quantity,
                    before.delivered.quantity,
                    before.delivered.quantity + delivery.quantity,
                )
                movement = Movement(
                    EntryType.DELIVERED, Measure.DELIVERED, Amount(delivery.quantity, value)
                )
                after = before.moved(Measure.DELIVERED, movement.delta)
                pending_others = pending_delivery_quantity(s, offer.id) - delivery.quantity
                model.check_balances(after, pending_others)
                self._post(s, offer, movement, delivery.delivered_on, delivery_id=delivery.id)
                delivery.state = DeliveryState.CONFIRMED
                offer.state = model.settled_state(OfferState(offer.state), after).value
            else:
                delivery.state = DeliveryState.REJECTED
                delivery.state_reason = _reason(reason)
                after = before
            delivery.settled_at = now
            audit(
                s,
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
        payload = {
            "offer_id": offer_id,
            "measure": measure,
            "quantity_delta": quantity_delta,
            "value_delta_cents": value_delta_cents,
            "reason": reason,
            "occurred_on": occurred_on,
        }
        with transaction(self.factory) as s:
            again = idempotency.replayed(s, "correction", idempotency_key, payload)
            if again is not None:
                return again
            offer = self._offer_for(s, actor, offer_id, Action.CORRECT_LEDGER)
            now = self.clock.now()
            why = _reason(reason)
            if quantity_delta == 0 and value_delta_cents == 0:
                raise InvalidInput("quantity_delta", "a correction must change something")
            measure_v = Measure(measure)
            before = offer_balances(s, offer.id)
            after = before.moved(measure_v, Amount(quantity_delta, value_delta_cents))
            model.check_balances(after, pending_delivery_quantity(s, offer.id))
            entry = self._post(
                s,
                offer,
                Movement(
                    EntryType.CORRECTION, measure_v, Amount(quantity_delta, value_delta_cents)
                ),
                occurred_on or now.date(),
                reason=why,
            )
            snapshot = _snapshot(offer, before)
            offer.state = model.settled_state(OfferState(offer.state), after).value
            idempotency.remember(s, "correction", idempotency_key, payload, entry.id, now)
            audit(
                s,
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
        with transaction(self.factory) as s:
            record: AssistanceRequest | Offer
            if record_type == "request":
                record = self._load_request(s, actor, record_id)
                owner = record.partner_id
            else:
                record = self._load_offer(s, actor, record_id)
                owner = record.member_id
            require(
                actor,
                Action.WIDEN_RELEASABILITY,
                owner_id=owner,
                record=f"{record_type} {record_id}",
            )
            current = Releasability(record.releasability)
            level = widened("releasability", current, to)
            if level != current:
                record.releasability = level.value
                audit(
                    s,
                    actor,
                    self.clock.now(),
                    f"{record_type}.widen",
                    record_type,
                    record_id,
                    {"releasability": current.value},
                    {"releasability": level.value},
                )
