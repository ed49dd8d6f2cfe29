"""Resident ID numbers (GB 11643-1999): the check character, the birth date and sex they hold,
and the keyed hash the registry matches them by without serving them.

The 18th character is ISO 7064 MOD 11-2 over the first 17 digits: weights 2^(17-i) mod 11,
the sum mod 11 maps to ``10X98765432``.

Examples
--------
>>> check_character("15062119800101123")
'2'
>>> problem("150621198001011232") is None
True
>>> problem("150621198001011238")
'check character is 8, should be 2'
>>> problem("11010519491231002X") is None
True
>>> birth_date("150621198001011232"), sex("150621198001011232")
(datetime.date(1980, 1, 1), 'male')
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")


def check_character(first17: str) -> str:
    """The check character of the first 17 digits."""
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise(number: str) -> str:
    """Blanks stripped, a lower-case x upper-cased."""
    return number.strip().upper()


def problem(number: str) -> str | None:
    """What is wrong with ``number`` as an 18-character resident ID number, or None.

    >>> problem("1506211980")
    'must be 18 characters: 17 digits and a digit or X'
    >>> problem("150621198013011235")
    'holds no valid birth date (19801301)'
    """
    number = normalise(number)
    if not _SHAPE.fullmatch(number):
        return "must be 18 characters: 17 digits and a digit or X"
    try:
        born = birth_date(number)
    except ValueError:
        return f"holds no valid birth date ({number[6:14]})"
    if born > date.today():
        return f"holds a birth date in the future ({number[6:14]})"
    expected = check_character(number[:17])
    if number[17] != expected:
        return f"check character is {number[17]}, should be {expected}"
    return None


def birth_date(number: str) -> date:
    """The birth date held in characters 7–14."""
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex(number: str) -> str:
    """'male' for an odd 17th digit, else 'female'."""
    return "male" if int(number[16]) % 2 else "female"


def id_hash(number: str, key: str) -> str:
    """HMAC-SHA256 of the normalised number under ``key`` (hex): equal numbers match, and
    the hash alone gives nothing away without the key.

    >>> len(id_hash("150621198001011232", "k")), id_hash("150621198001011232 ", "k") == id_hash(
    ...     "150621198001011232", "k")
    (64, True)
    """
    return hmac.new(key.encode(), normalise(number).encode(), hashlib.sha256).hexdigest()
