"""The privacy scan itself: it finds clear numbers, spares masked ones and reveals, and the
service's log masking leaves it nothing to find."""

from __future__ import annotations

import logging

import httpx

from geo.privacy import install_log_masking
from tests.privacy_scan import PrivacyScan


def _response(path: str, body: str) -> httpx.Response:
    return httpx.Response(200, text=body, request=httpx.Request("GET", f"http://t{path}"))


def test_the_scan_finds_clear_phone_and_id_numbers():
    scan = PrivacyScan()
    scan.response(_response("/api/v1/x", '{"phone": "13912345678", "id": "15062119800101123X"}'))
    scan.response(_response("/api/v1/y", '{"phone": "139****5678", "id": "150621********123X"}'))
    scan.response(_response("/api/v1/incidents/DLT-2026-000001/reveal", '{"p": "13912345678"}'))
    assert scan.findings == [
        "GET http://t/api/v1/x → 15062119800101123X",
        "GET http://t/api/v1/x → 13912345678",
    ]
    assert scan.responses == 3


def test_log_lines_are_masked_before_any_handler_sees_them():
    install_log_masking()
    scan = PrivacyScan()
    logger = logging.getLogger("wangge.test.privacy")
    handler = scan.handler()
    logger.addHandler(handler)
    try:
        logger.warning("resident %s called from %s", "15062119800101123X", "13912345678")
        try:
            raise ValueError("bad phone 13912345678")
        except ValueError:
            logger.exception("failed for %s", "13912345678")
    finally:
        logger.removeHandler(handler)
    assert scan.log_records == 2
    assert scan.findings == []
