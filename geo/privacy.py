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
ID_RE = re.compile(
    _ALONE
    + r"([1-9][0-9]{5})((?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
    + r"([0-9]{3}[0-9Xx])(?![0-9A-Za-z])"
)


def scrub(text: str) -> str:
    """Mask every phone and ID number inside free text (log lines, error messages).

    >>> scrub("call 13812341234 about 15062119800101123X")
    'call 138****1234 about 150621********123X'
    """
    text = ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    return PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def unmasked(text: str) -> list[str]:
    """The phone and ID numbers left in clear in ``text`` (what a privacy scan looks for).

    >>> unmasked('{"phone": "138****1234", "id": "150621********123X", "x": "13912345678"}')
    ['13912345678']
    """
    return [m.group(0) for m in ID_RE.finditer(text)] + [
        m.group(0) for m in PHONE_RE.finditer(text)
    ]


def install_log_masking() -> None:
    """Mask phones and ID numbers in every log record this process creates, whatever the
    logger or handler (uvicorn's access log included): the record factory scrubs the
    formatted message and drops the arguments. Installing twice is harmless."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_personal_data", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return record
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record

    factory.masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
