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
