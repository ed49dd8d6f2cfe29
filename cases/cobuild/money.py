"""Amounts of money: exact yuan with fen, as ``decimal.Decimal``, never floats.

An amount arrives as a JSON string (``"20000.00"``) or number (``20000``, ``12.5``); a number
that is not an exact number of fen once read (``0.1 + 0.2``), more than two decimals, a
negative or zero amount, or one past ``numeric(14,2)`` is refused, naming the field.

Examples
--------
>>> parse_amount("20000"), parse_amount(12.5), parse_amount("0.30")
(Decimal('20000.00'), Decimal('12.50'), Decimal('0.30'))
>>> parse_amount(0.1 + 0.2)
Traceback (most recent call last):
ValueError: must be an exact amount in yuan with at most 2 decimals (fen), got 0.30000000000000004
>>> parse_amount("-5")
Traceback (most recent call last):
ValueError: must be more than 0, got -5
>>> parse_amount("1.005")
Traceback (most recent call last):
ValueError: must be an exact amount in yuan with at most 2 decimals (fen), got 1.005
>>> yuan(Decimal("412600"))
'412,600.00'
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

FEN = Decimal("0.01")
#: The largest amount ``numeric(14,2)`` holds.
MAX = Decimal("999999999999.99")


def parse_amount(value: Any) -> Decimal:
    """``value`` as an exact positive amount in yuan (two decimals), or ValueError."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("must be an amount in yuan, as a string or a number")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"must be an amount in yuan, got {text[:20]!r}") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(
            f"must be an exact amount in yuan with at most 2 decimals (fen), got {text[:24]}"
        )
    if amount <= 0:
        raise ValueError(f"must be more than 0, got {text[:24]}")
    if amount > MAX:
        raise ValueError(f"must be at most {MAX}")
    return amount.quantize(FEN)


def yuan(amount: Decimal) -> str:
    """An amount as a page or a notice shows it: thousands separated, two decimals."""
    return f"{amount:,.2f}"


def text(amount: Decimal | None) -> str | None:
    """An amount as the API answers it: a string with two decimals (exact)."""
    return None if amount is None else str(Decimal(amount).quantize(FEN))


#: A request's amount: a string or a number, exact to the fen, more than 0.
Amount = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    PlainSerializer(text, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,2})?$"},
                {"type": "number", "exclusiveMinimum": 0},
            ],
            "description": "Yuan with at most 2 decimals (fen), more than 0.",
        }
    ),
]
