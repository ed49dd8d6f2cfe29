"""以买代帮: directed procurement agreements with a buying unit (products, price rule,
expected quantities), deliveries by households with their quality acceptance, the buyer's
payments, and income per household.

A delivery is paid for what was accepted: its amount is accepted × price to the fen (a check
constraint holds it). A payment is posted under the delivery's row lock and may not exceed
what is still unpaid for it (``amount``); a product the agreement does not name
(``product``) and an accepted quantity above the delivered one (``accepted``) are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection

from cases.cobuild import common
from cases.cobuild.money import FEN, MAX, text
from cases.cobuild.pairings import pairings
from cases.cobuild.sql import query
from geo.errors import InvalidInput
from geo.scope import Scope


@dataclass(frozen=True)
class Product:
    name: str
    unit: str
    price: Decimal
    expected_quantity: Decimal | None = None


@dataclass(frozen=True)
class AgreementIn:
    village: str
    buyer: str
    products: list[Product]
    price_rule: str
    signed_on: date
    pairing_id: int | None = None


@dataclass(frozen=True)
class DeliveryIn:
    household: str
    product: str
    delivered_on: date
    quantity: Decimal
    accepted: Decimal
    quality: str | None = None
    price: Decimal | None = field(default=None)


def create_agreement(
    conn: Connection, principal: common.Principal, agreement: AgreementIn
) -> dict[str, Any]:
    common.may_write(principal)
    village = common.village(conn, principal.scope, agreement.village)
    common.not_after_today(agreement.signed_on, "signed_on")
    if agreement.pairing_id is not None:
        found = pairings(conn, principal.scope, pairing_id=agreement.pairing_id)
        if not found or found[0]["village"]["code"] != village["code"]:
            raise InvalidInput("pairing_id", f"no pairing {agreement.pairing_id} of the village")
    names = [p.name for p in agreement.products]
    if len(set(names)) != len(names):
        raise InvalidInput("products", "names a product twice")
    row = {
        "village_code": village["code"],
        "pairing_id": agreement.pairing_id,
        "buyer": agreement.buyer,
        "products": json.dumps(common.jsonable([p.__dict__ for p in agreement.products])),
        "price_rule": agreement.price_rule,
        "signed_on": agreement.signed_on,
        "account": principal.actor.username,
    }
    agreement_id = conn.execute(query("procurement_insert"), row).scalar_one()
    common.record(conn, principal, "cobuild.procurement", "cobuild_procurement", agreement_id, row)
    return get_agreement(conn, principal.scope, agreement_id)


def _agreement_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "village_code": row.village_code,
        "pairing_id": row.pairing_id,
        "buyer": row.buyer,
        "products": row.products,
        "price_rule": row.price_rule,
        "signed_on": row.signed_on.isoformat(),
        "deliveries": row.deliveries,
        "households": row.households,
        "accepted_value": text(row.accepted_value),
        "paid": text(row.paid),
        "unpaid": text(Decimal(row.accepted_value) - Decimal(row.paid)),
    }


def agreements(
    conn: Connection, scope: Scope, *, village: str | None = None
) -> list[dict[str, Any]]:
    params = {"village": village, "agreement_id": None, **scope.params()}
    return [_agreement_view(r) for r in conn.execute(query("procurements"), params)]


def get_agreement(conn: Connection, scope: Scope, agreement_id: int) -> dict[str, Any]:
    """One agreement with its deliveries (and what was paid for each)."""
    params = {"village": None, "agreement_id": agreement_id, **scope.params()}
    row = common.found(
        conn.execute(query("procurements"), params).first(), "agreement", agreement_id
    )
    view = _agreement_view(row)
    view["delivery_list"] = [
        {
            "id": d.id,
            "household": d.household,
            "product": d.product,
            "delivered_on": d.delivered_on.isoformat(),
            "quantity": str(d.quantity),
            "accepted": str(d.accepted),
            "quality": d.quality,
            "price": text(d.price),
            "amount": text(d.amount),
            "paid": text(d.paid),
        }
        for d in conn.execute(query("deliveries"), {"agreement_id": agreement_id})
    ]
    return view


def deliver(
    conn: Connection, principal: common.Principal, agreement_id: int, delivery: DeliveryIn
) -> dict[str, Any]:
    """Record a delivery and its acceptance; paid for at the agreement's price unless the
    delivery names its own (a market-price rule)."""
    common.may_write(principal)
    agreement = get_agreement(conn, principal.scope, agreement_id)
    common.not_after_today(delivery.delivered_on, "delivered_on")
    if delivery.delivered_on < date.fromisoformat(agreement["signed_on"]):
        raise InvalidInput("delivered_on", "comes before the agreement was signed")
    product = next((p for p in agreement["products"] if p["name"] == delivery.product), None)
    if product is None:
        names = "、".join(p["name"] for p in agreement["products"])
        raise InvalidInput("product", f"the agreement names {names}, not {delivery.product!r}")
    if delivery.quantity <= 0:
        raise InvalidInput("quantity", "must be more than 0")
    if delivery.accepted > delivery.quantity:
        raise InvalidInput("accepted", "is more than the quantity delivered")
    price = delivery.price if delivery.price is not None else Decimal(product["price"])
    amount = (delivery.accepted * price).quantize(FEN, rounding=ROUND_HALF_UP)
    if amount > MAX:
        raise InvalidInput("accepted", f"is worth {amount}, more than an amount can be")
    row = {
        "agreement_id": agreement_id,
        "account": principal.actor.username,
        **delivery.__dict__,
        "price": price,
        "amount": amount,
    }
    delivery_id = conn.execute(query("delivery_insert"), row).scalar_one()
    common.record(conn, principal, "cobuild.delivery", "cobuild_delivery", delivery_id, row)
    found = get_agreement(conn, principal.scope, agreement_id)["delivery_list"]
    return next(d for d in found if d["id"] == delivery_id)


def pay(
    conn: Connection,
    principal: common.Principal,
    agreement_id: int,
    delivery_id: int,
    amount: Decimal,
    paid_on: date,
    voucher: str | None = None,
) -> dict[str, Any]:
    """Post the buyer's payment for a delivery, no more than what is unpaid."""
    common.may_write(principal)
    params = {"delivery_id": delivery_id, "agreement_id": agreement_id, **principal.scope.params()}
    row = conn.execute(query("delivery_lock"), params).first()
    if row is None:
        raise InvalidInput("delivery_id", f"no delivery {delivery_id} of agreement {agreement_id}")
    common.not_after_today(paid_on, "paid_on")
    unpaid = Decimal(row.amount) - Decimal(row.paid)
    if amount > unpaid:
        raise InvalidInput("amount", f"{amount} exceeds what is unpaid for the delivery ({unpaid})")
    values = {
        "delivery_id": delivery_id,
        "paid_on": paid_on,
        "amount": amount,
        "voucher": voucher,
        "account": principal.actor.username,
    }
    payment_id = conn.execute(query("payment_insert"), values).scalar_one()
    common.record(conn, principal, "cobuild.payment", "cobuild_payment", payment_id, values)
    return {"id": payment_id, **common.jsonable(values), "unpaid": text(unpaid - amount)}


def household_income(
    conn: Connection, scope: Scope, *, village: str | None = None, year: int | None = None
) -> list[dict[str, Any]]:
    """Income per household from directed procurement: accepted value, paid, deliveries."""
    params = {"village": village, "year": year, **scope.params()}
    return [
        {
            "village_code": r.village_code,
            "household": r.household,
            "deliveries": r.deliveries,
            "accepted_value": text(r.accepted_value),
            "paid": text(r.paid),
        }
        for r in conn.execute(query("household_income"), params)
    ]
