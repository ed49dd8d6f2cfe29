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
