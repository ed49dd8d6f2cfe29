"""Masking of personal data in everything that leaves the service.

Examples
--------
>>> mask_phone("13812341234")
'138****1234'
>>> mask_phone("0477-5212345")
'047*****2345'
>>> mask_phone(None) is None
True
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits of a phone number: 138****1234."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str | None) -> str | None:
    """Keep the first character of a name: 张** (Mongolian names too: 巴****).

    >>> mask_name("张三丰"), mask_name("巴特尔"), mask_name("李")
    ('张**', '巴**', '李*')
    """
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_id_number(number: str | None) -> str | None:
    """Keep the region (first 6) and the last 4 characters of an ID number.

    >>> mask_id_number("15062119800101123X")
    '150621********123X'
    """
    if not number:
        return number
    number = number.strip()
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


#: A mainland mobile number, or an 18-character resident ID number (region, a birth date
#: 19xx/20xx, sequence, check character), standing on its own: not inside a longer number, a
#: word or identifier, or the decimals of a coordinate (area codes are 6–16 digits; incident
#: codes and element ids carry letters).
_ALONE = r"(?<![0-9A-Za-z_.])"
PHONE_RE = re.compile(_ALONE + r"(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")
_ID_NUMBER = (
    r"([1-9][0-9]{5})((?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
    + r"([0-9]{3}[0-9Xx])"
)
ID_RE = re.compile(_ALONE + _ID_NUMBER + r"(?![0-9A-Za-z])")


def scrub(text: str) -> str:
    """Mask every phone and ID number inside free text (log lines, error messages).

    >>> scrub("call 13812341234 about 15062119800101123X")
    'call 138****1234 about 150621********123X'
    """
    text = ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    return PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


#: What :func:`mask_text` looks for in free text, standing alone among digits (not a part of a
#: longer number, nor the decimals of a coordinate): an ID number (as :data:`ID_RE`), a mobile,
#: a landline with its area code, a local number of 7 or 8 digits, and an e-mail address. Area
#: codes (9 to 16 digits, never 11) and incident codes (letters) are left as they are, so the
#: rule is safe on whole JSON documents (:func:`mask_strings`).
_DIGITS_ALONE = r"(?<![0-9])(?<![0-9]\.)"
_TEXT_ID = re.compile(_DIGITS_ALONE + _ID_NUMBER + r"(?![0-9])")
_TEXT_PHONE = re.compile(
    _DIGITS_ALONE + r"(?:1[3-9][0-9]{9}|0[1-9][0-9]{1,2}-?[0-9]{7,8}|[0-9]{7,8})(?![0-9])"
)
_TEXT_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def mask_text(text: str | None) -> str | None:
    """Free text (a description, a media URL, a reason) as it may leave the service: phones,
    ID numbers and e-mail addresses inside it masked. One rule for every edge: the incident
    API, the audit trail, Open311.

    >>> mask_text("楼道堆物，联系13812345678或 li.si@example.com，身份证15062119800101123X")
    '楼道堆物，联系138****5678或 l***@example.com，身份证150621********123X'
    >>> mask_text("http://img.example/p_13812345678.jpg 座机0477-5212345 或 5212345")
    'http://img.example/p_138****5678.jpg 座机047*****2345 或 *******'
    >>> mask_text("网格 15062100100101，事件 DLT-2026-000123，坐标 109.98765432")
    '网格 15062100100101，事件 DLT-2026-000123，坐标 109.98765432'
    """
    if not text:
        return text
    text = _TEXT_ID.sub(lambda m: mask_id_number(m.group()) or "", text)
    text = _TEXT_PHONE.sub(lambda m: mask_phone(m.group()) or "", text)
    return _TEXT_EMAIL.sub(lambda m: m.group()[0] + "***@" + m.group().split("@", 1)[1], text)


def mask_strings(value: Any) -> Any:
    """``value`` (decoded JSON) with :func:`mask_text` applied to every string in it.

    >>> mask_strings({"after": {"description": "电话13812345678", "tied": ["15062100100101"]}})
    {'after': {'description': '电话138****5678', 'tied': ['15062100100101']}}
    """
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_strings(child) for key, child in value.items()}
    if isinstance(value, list):
        return [mask_strings(child) for child in value]
    return value


def unmasked(text: str) -> list[str]:
    """The phone and ID numbers left in clear in ``text`` (what a privacy scan looks for).

    >>> unmasked('{"phone": "138****1234", "id": "150621********123X", "x": "13912345678"}')
    ['13912345678']
    """
    return [m.group(0) for m in ID_RE.finditer(text)] + [
        m.group(0) for m in PHONE_RE.finditer(text)
    ]


#: What a rejected value looks like inside pydantic's and FastAPI's messages: the
#: ``input_value=…`` of a ValidationError's text and the ``'input': …`` of its ``errors()``
#: (printed by FastAPI's validation exceptions, one error a line). A refused body may hold a
#: name, which no pattern can recognise, so the log never shows the input at all; where the
#: end of an input is unclear, more is hidden, never less.
INPUT_RE = re.compile(
    r"(input_value=).*?(?=, input_type=)|('input': )(?:.*?(?=, '(?:ctx|url)': |\}$)|.*$)",
    re.MULTILINE,
)


def scrub_log(text: str) -> str:
    """:func:`scrub`, and the rejected input of a validation error hidden.

    >>> scrub_log("[type=string_too_long, input_value='张三丰 13812341234', input_type=str]")
    '[type=string_too_long, input_value=<hidden>, input_type=str]'
    >>> scrub_log("{'type': 'missing', 'loc': ('body', 'x'), 'msg': 'm', 'input': {'n': '张三'}}")
    "{'type': 'missing', 'loc': ('body', 'x'), 'msg': 'm', 'input': <hidden>}"
    """
    return scrub(INPUT_RE.sub(lambda m: (m.group(1) or m.group(2)) + "<hidden>", text))


def _masked(value: Any) -> Any:
    """One log argument with personal data masked; unchanged (type too) if it holds none."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub_log(value)
    text = str(value)
    masked = scrub_log(text)
    return value if masked == text else masked


def _mask_record(record: logging.LogRecord) -> None:
    """Mask the message and its arguments in place, keeping the arguments' shape (a tuple
    stays a tuple of as many items: uvicorn's access formatter unpacks it)."""
    message = record.getMessage()
    if scrub_log(message) == message:
        return  # nothing to mask (most records): leave the record as it came
    if isinstance(record.args, tuple) and isinstance(record.msg, str):
        args: Any = tuple(_masked(a) for a in record.args)
    elif isinstance(record.args, Mapping) and isinstance(record.msg, str):
        args = {k: _masked(v) for k, v in record.args.items()}
    else:
        args = None
    template = scrub_log(record.msg) if isinstance(record.msg, str) else None
    if template is not None and args is not None:
        try:
            formatted = template % args if args else template
        except (TypeError, ValueError, KeyError):
            formatted = None
        if formatted is not None and formatted == scrub_log(formatted):
            record.msg, record.args = template, args
            return
    record.msg, record.args = scrub_log(message), ()


def install_log_masking() -> None:
    """Mask phones, ID numbers and rejected input in every log record this process creates,
    whatever the logger or handler (uvicorn's access log included): the record factory masks
    the message template and each argument, keeping the arguments' shape, and the traceback.
    Installing twice is harmless."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_personal_data", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            _mask_record(record)
        except Exception:  # a malformed record: leave it to the handler to report
            return record
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub_log(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = scrub_log(record.stack_info)
        return record

    factory.masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
