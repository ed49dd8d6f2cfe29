"""The fields of a report, checked by the same rules wherever a report comes in.

A report reaches the workflow three ways: the native API (``IncidentIn`` in
``api/schemas.py``), a file import (:mod:`cases.imports.rows`) and Open311 GeoReport
(:mod:`cases.open311`). Each reads its own form (JSON, a row of a file, form fields) and names
the fields its own way (``reporter.phone``, ``reporter_phone``, ``phone``), but the rules and
their messages are these, so a value refused one way is refused every way, in the same words.

Each rule returns what is wrong with a value, or None. A message names no field (the caller
knows its own name for it) and never echoes the value: names, phones and ID numbers are
personal data, and messages end up in logs and import reports.

Examples
--------
>>> description_problem("纠" * 4001)
'is 4,001 characters long; at most 4,000'
>>> phone_problem("13812345678") is None, phone_problem("call me")
(True, 'must be a phone number: 3-20 digits, spaces or dashes, optionally after a leading +')
>>> category_problem("0101") is None, category_problem("01")
(True, 'must be a four-digit minor class code, e.g. 0101')
>>> media_url_problem("javascript:alert(1)")
'must be an http:// or https:// URL'
"""

from __future__ import annotations

import re

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_MEDIA_URL",
    "MAX_NAME",
    "MAX_PHONE",
    "category_problem",
    "description_problem",
    "id_number_problem",
    "media_url_problem",
    "name_problem",
    "phone_problem",
]

MAX_DESCRIPTION = 4000
#: A reporter's name, as one text (Open311's first and last name joined).
MAX_NAME = 100
#: The column ``incident.reporter_phone`` holds 20 characters.
MAX_PHONE = 20
MAX_MEDIA_URL = 2000
_PHONE = re.compile(r"\+?[0-9][0-9 -]{2,19}")
_CATEGORY = re.compile(r"[0-9]{4}")
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _too_long(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit:,}"
    return None


def description_problem(description: str) -> str | None:
    """At most :data:`MAX_DESCRIPTION` characters."""
    return _too_long(description, MAX_DESCRIPTION)


def name_problem(name: str) -> str | None:
    """The reporter's name: at most :data:`MAX_NAME` characters."""
    return _too_long(name, MAX_NAME)


def phone_problem(phone: str) -> str | None:
    """The reporter's phone: 3 to :data:`MAX_PHONE` digits, spaces or dashes, the first a
    digit, optionally after a leading ``+`` (the whole at most :data:`MAX_PHONE`)."""
    if len(phone) > MAX_PHONE or not _PHONE.fullmatch(phone):
        return "must be a phone number: 3-20 digits, spaces or dashes, optionally after a leading +"
    return None


def id_number_problem(number: str) -> str | None:
    """What is wrong with a resident ID number (GB 11643-1999), or None; never echoes it.

    >>> id_number_problem("11010519491231002X") is None
    True
    >>> id_number_problem("110105194912310021")
    'the check digit does not match the first 17 digits (GB 11643)'
    >>> id_number_problem("1101051949")
    'must be 18 characters: 17 digits and a check digit (0-9 or X)'
    """
    if not _ID_NUMBER.fullmatch(number.upper()):
        return "must be 18 characters: 17 digits and a check digit (0-9 or X)"
    total = sum(int(digit) * weight for digit, weight in zip(number, _ID_WEIGHTS, strict=False))
    if _ID_CHECK[total % 11] != number[17].upper():
        return "the check digit does not match the first 17 digits (GB 11643)"
    return None


def category_problem(code: str) -> str | None:
    """The shape of a category code: four digits (whether the category exists is the
    database's to say, :func:`cases.routing.minor_category`)."""
    if not _CATEGORY.fullmatch(code):
        return "must be a four-digit minor class code, e.g. 0101"
    return None


def media_url_problem(url: str) -> str | None:
    """A photo or video by its address: ``http(s)://``, at most :data:`MAX_MEDIA_URL`."""
    long = _too_long(url, MAX_MEDIA_URL)
    if long is not None:
        return long
    if not url.lower().startswith(("http://", "https://")):
        return "must be an http:// or https:// URL"
    return None
