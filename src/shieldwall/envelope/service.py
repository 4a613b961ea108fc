"""Use cases of the envelope, each audited, each run in the unit of work it is given.

Capability packages are defined and changed by the partner or the secretariat; delivery
tranches of a committed offer are planned, re-planned (a slip, with its reason) and removed by
the offer's member or the secretariat (``policy``). Every change is audited with what it was
before and after, in the same transaction.

Locks (PostgreSQL; SQLite's unit of work holds the write lock from its start): planning locks
the offer (``FOR UPDATE``) before reading its balances and tranches, as recording a delivery
does, so that a tranche and a confirmation never interleave; re-planning and removing lock the
tranche, then its offer. A package is locked before it is changed, and a new package's code is
locked by name before it is checked free.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from shieldwall.access.model import Actor
from shieldwall.assistance.model import OfferState, require_reason
from shieldwall.assistance.service import area_by_code, item_by_code, offer_balances
from shieldwall.assistance.tables import CapabilityArea, CapabilityItem, Offer
from shieldwall.assistance.visibility import readable_offers
from shieldwall.envelope import model
from shieldwall.envelope.policy import Action, require
from shieldwall.envelope.queries import delivered_by, first_planned_at
from shieldwall.envelope.tables import CapabilityPackage, PackageComponent, PlannedDelivery
from shieldwall.envelope.visibility import readable_tranches
from shieldwall.kit import idempotency
from shieldwall.kit.amounts import check_quantity
from shieldwall.kit.dates import check_day
from shieldwall.kit.errors import IllegalTransition, InvalidInput, NotFound
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.locks import lock_name
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import UnitOfWork, readable_for_update

CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ComponentIn:
    """A component as the partner or the secretariat gives it: a catalogue item by its code,
    its kind, the quantity one unit needs, and whether that is needed every month."""

    item: str
    kind: str
    quantity_per_unit: int
    per_month: bool = False


def _code(code: str) -> str:
    text = code.strip()
    if not CODE.match(text) or len(text) > 80:
        raise InvalidInput(
            "code", _("lower-case letters, digits and single hyphens, at most 80: e.g. patriot")
        )
    return text


def _line(field: str, text: str, longest: int = 200) -> str:
    if not text.strip():
        raise InvalidInput(field, _("cannot be empty"))
    return check_text(field, text.strip(), max_length=longest)


def _text(field: str, text: str, longest: int = 20000) -> str:
    return check_text(field, text.strip(), multiline=True, max_length=longest)


class EnvelopeService:
    """Use cases of the envelope; each runs in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.s = uow.session

    # ---- capability packages -----------------------------------------------------------------

    def define_package(
        self,
        actor: Actor,
        *,
        code: str,
        name: str,
        area: str,
        units_needed: int,
        components: list[ComponentIn],
        description: str = "",
        sustain_window_months: int = 3,
        sources: str = "",
        illustrative: bool = False,
        idempotency_key: str | None = None,
    ) -> int:
        """Define what one unit of a capability needs, and how many units the partner needs."""
        payload = idempotency.payload_of(locals())
        payload["components"] = [vars(c) for c in components]
        require(actor, Action.DEFINE_PACKAGE)
        again = idempotency.replayed(self.s, actor.name, "package", idempotency_key, payload)
        if again is not None:
            return again
        code = _code(code)
        lock_name(self.s, "capability_package", code)
        if self.s.scalar(select(CapabilityPackage.id).where(CapabilityPackage.code == code)):
            raise InvalidInput(
                "code", _("a capability package with code {code!r} exists").format(code=code)
            )
        now = self.uow.clock.now()
        package = CapabilityPackage(
            code=code,
            name=_line("name", name),
            area_id=area_by_code(self.s, area.strip()).id,
            description=_text("description", description),
            units_needed=model.check_units_needed("units_needed", units_needed),
            sustain_window_months=model.check_window(
                "sustain_window_months", sustain_window_months
            ),
            sources=_text("sources", sources),
            illustrative=illustrative,
            created_at=now,
        )
        self.s.add(package)
        self.s.flush()
        self._put_components(package, components)
        key = idempotency_key
        idempotency.remember(self.s, actor.name, "package", key, payload, package.id, now)
        after = self._snap(package)
        self.uow.audit(actor, now, "package.define", "capability_package", package.id, None, after)
        return package.id

    def change_package(
        self,
        actor: Actor,
        package_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        units_needed: int | None = None,
        sustain_window_months: int | None = None,
        sources: str | None = None,
        components: list[ComponentIn] | None = None,
    ) -> None:
        """Change the units needed, the window or the wording, or replace the components."""
        require(actor, Action.DEFINE_PACKAGE, record=_("package {id}").format(id=package_id))
        package = self.load_package(package_id)
        changes = (name, description, units_needed, sustain_window_months, sources, components)
        if all(v is None for v in changes):
            raise InvalidInput("units_needed", _("say what to change"))
        before = self._snap(package)
        if name is not None:
            package.name = _line("name", name)
        if description is not None:
            package.description = _text("description", description)
        if sources is not None:
            package.sources = _text("sources", sources)
        if units_needed is not None:
            package.units_needed = model.check_units_needed("units_needed", units_needed)
        if sustain_window_months is not None:
            window = model.check_window("sustain_window_months", sustain_window_months)
            package.sustain_window_months = window
        if components is not None:
            self.s.execute(
                delete(PackageComponent).where(PackageComponent.package_id == package.id)
            )
            self._put_components(package, components)
        now, after = self.uow.clock.now(), self._snap(package)
        self.uow.audit(
            actor, now, "package.change", "capability_package", package.id, before, after
        )

    def _put_components(self, package: CapabilityPackage, components: list[ComponentIn]) -> None:
        """The package's components, each item by its catalogue code, checked whole first."""
        found: list[tuple[CapabilityItem, model.Component]] = []
        for n, c in enumerate(components):
            item = item_by_code(self.s, c.item.strip(), f"components.{n}.item")
            kind = model.component_kind(f"components.{n}.kind", c.kind)
            quantity = check_quantity(f"components.{n}.quantity_per_unit", c.quantity_per_unit)
            found.append((item, model.Component(item.code, kind, quantity, c.per_month)))
        model.check_components("components", [rule for _i, rule in found])
        for item, rule in found:
            self.s.add(
                PackageComponent(
                    package_id=package.id,
                    item_id=item.id,
                    kind=rule.kind.value,
                    quantity_per_unit=rule.quantity_per_unit,
                    per_month=rule.per_month,
                )
            )
        self.s.flush()

    def load_package(self, package_id: int) -> CapabilityPackage:
        """The package, locked for this transaction; 404 if there is none."""
        package = self.s.scalar(
            select(CapabilityPackage).where(CapabilityPackage.id == package_id).with_for_update()
        )
        if package is None:
            raise NotFound(_("capability package {id} does not exist").format(id=package_id))
        return package

    def _snap(self, package: CapabilityPackage) -> dict[str, Any]:
        rows = self.s.execute(
            select(
                PackageComponent.kind,
                CapabilityItem.code,
                PackageComponent.quantity_per_unit,
                PackageComponent.per_month,
            )
            .join(CapabilityItem, CapabilityItem.id == PackageComponent.item_id)
            .where(PackageComponent.package_id == package.id)
            .order_by(CapabilityItem.code)
        ).all()
        area = self.s.get(CapabilityArea, package.area_id)
        return {
            "code": package.code,
            "name": package.name,
            "area": area.code if area else None,
            "units_needed": package.units_needed,
            "sustain_window_months": package.sustain_window_months,
            "description": package.description,
            "sources": package.sources,
            "components": [[r.kind, r.code, r.quantity_per_unit, r.per_month] for r in rows],
        }

    # ---- delivery plans ----------------------------------------------------------------------

    def plan_delivery(
        self,
        actor: Actor,
        offer_id: int,
        *,
        quantity: int,
        expected_on: dt.date,
        note: str = "",
        idempotency_key: str | None = None,
    ) -> int:
        """Plan a tranche of a committed offer: ``quantity`` expected on ``expected_on``."""
        payload = idempotency.payload_of(locals())
        offer = self._offer_for(actor, offer_id)
        again = idempotency.replayed(self.s, actor.name, "tranche", idempotency_key, payload)
        if again is not None:
            return again
        self._require_plannable(offer, N_("plan deliveries of"))
        quantity = check_quantity("quantity", quantity)
        expected_on = self._from_today("expected_on", expected_on)
        self._check_plan(offer, None, quantity)
        now = self.uow.clock.now()
        tranche = PlannedDelivery(
            offer_id=offer.id,
            quantity=quantity,
            expected_on=expected_on,
            recorded_at=now,
            note=_text("note", note, 2000),
        )
        self.s.add(tranche)
        self.s.flush()
        key = idempotency_key
        idempotency.remember(self.s, actor.name, "tranche", key, payload, tranche.id, now)
        after = _tsnap(tranche)
        self.uow.audit(actor, now, "tranche.plan", "planned_delivery", tranche.id, None, after)
        return tranche.id

    def replan_delivery(
        self,
        actor: Actor,
        tranche_id: int,
        *,
        reason: str,
        expected_on: dt.date | None = None,
        quantity: int | None = None,
    ) -> None:
        """Re-plan a tranche: a new date (a slip) or quantity, with the reason."""
        tranche, offer = self._tranche_for(actor, tranche_id)
        why = require_reason(reason)
        if expected_on is None and quantity is None:
            raise InvalidInput("expected_on", _("give the new date, the new quantity or both"))
        self._require_plannable(offer, N_("re-plan deliveries of"))
        before = _tsnap(tranche)
        if quantity is not None:
            tranche.quantity = check_quantity("quantity", quantity)
            self._check_plan(offer, tranche.id, tranche.quantity)
        if expected_on is not None:
            tranche.expected_on = self._from_today("expected_on", expected_on)
        after = {**_tsnap(tranche), "reason": why}
        now = self.uow.clock.now()
        self.uow.audit(actor, now, "tranche.replan", "planned_delivery", tranche.id, before, after)

    def remove_delivery(self, actor: Actor, tranche_id: int, *, reason: str) -> None:
        """Remove a tranche from the plan, with the reason."""
        tranche, _offer = self._tranche_for(actor, tranche_id)
        why = require_reason(reason)
        before = _tsnap(tranche)
        self.s.delete(tranche)
        self.s.flush()
        now = self.uow.clock.now()
        after = {"removed": True, "reason": why}
        self.uow.audit(actor, now, "tranche.remove", "planned_delivery", tranche_id, before, after)

    def _offer_for(self, actor: Actor, offer_id: int, field: str | None = None) -> Offer:
        """The offer, locked; 404 (or an error naming ``field``) if ``actor`` may not see it;
        403 unless ``actor`` may plan its deliveries."""
        missing = _("offer {id} does not exist").format(id=offer_id)
        offer = readable_for_update(self.s, Offer, offer_id, readable_offers(actor), missing, field)
        record = _("offer {id}").format(id=offer_id)
        require(actor, Action.PLAN_DELIVERY, owner_id=offer.member_id, record=record)
        return offer

    def _tranche_for(self, actor: Actor, tranche_id: int) -> tuple[PlannedDelivery, Offer]:
        missing = _("planned delivery {id} does not exist").format(id=tranche_id)
        tranche = readable_for_update(
            self.s, PlannedDelivery, tranche_id, readable_tranches(actor), missing
        )
        offer = self._offer_for(actor, tranche.offer_id)
        return tranche, offer

    def _require_plannable(self, offer: Offer, action: str) -> None:
        """Only a committed offer of a catalogue item has deliveries to plan."""
        if offer.state != OfferState.COMMITTED:
            raise IllegalTransition(_("offer {id}").format(id=offer.id), offer.state, action)
        if offer.item_id is None:
            raise InvalidInput(
                "offer_id",
                _("offer {id} names no catalogue item: only items count toward readiness").format(
                    id=offer.id
                ),
            )

    def _from_today(self, field: str, day: dt.date) -> dt.date:
        today = self.uow.clock.now().date()
        check_day(field, day)
        if day < today:
            raise InvalidInput(
                field,
                _("{day} has passed: a tranche is planned from today on").format(
                    day=day.isoformat()
                ),
            )
        return day

    def _check_plan(self, offer: Offer, replacing: int | None, quantity: int) -> None:
        """The offer's tranches, with this one, plan no more than remains to be delivered."""
        others = self.s.scalars(
            select(PlannedDelivery.quantity).where(
                PlannedDelivery.offer_id == offer.id, PlannedDelivery.id != (replacing or 0)
            )
        ).all()
        balances = offer_balances(self.s, offer.id)
        planned_at = first_planned_at(self.s, offer.id) or self.uow.clock.now()
        model.check_plan(
            _("offer {id}").format(id=offer.id),
            balances.committed.quantity,
            balances.delivered.quantity,
            [*others, quantity],
            delivered_by(self.s, offer.id, planned_at),
        )


def _tsnap(tranche: PlannedDelivery) -> dict[str, Any]:
    return {
        "offer": tranche.offer_id,
        "quantity": tranche.quantity,
        "expected_on": tranche.expected_on.isoformat(),
        "note": tranche.note,
    }
