"""The privacy scan itself: it finds clear numbers, spares masked ones and reveals, and the
service's log masking leaves it nothing to find."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable

import httpx
import pydantic
from fastapi.exceptions import ResponseValidationError

from geo.privacy import install_log_masking, unmasked
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


def _formatted(logger_name: str, formatter: logging.Formatter, log: Callable[[], None]) -> str:
    """What a handler with ``formatter`` on ``logger_name`` writes while ``log`` runs."""
    install_log_masking()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        log()
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_uvicorn_access_lines_keep_their_arguments_masked():
    from uvicorn.logging import AccessFormatter

    access = logging.getLogger("wangge.test.access")
    args = ("127.0.0.1:5000", "GET", "/api/v1/incidents/15062119800101123X?p=13912345678", "1.1")
    written = _formatted(
        "wangge.test.access",
        AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False),
        lambda: access.info('%s - "%s %s HTTP/%s" %d', *args, 404),
    )
    assert written == (
        '127.0.0.1:5000 - "GET /api/v1/incidents/150621********123X?p=139****5678 HTTP/1.1" '
        "404 Not Found\n"
    )


#: A refused body (kept out of the line that fails, which the traceback quotes).
REFUSED = {"name": "韩梅梅", "phone": "韩梅梅 13698765432"}


class _Reporter(pydantic.BaseModel):
    name: str = pydantic.Field(max_length=2)
    phone: int


def test_rejected_input_is_hidden_in_tracebacks_and_messages():
    """A name cannot be recognised in free text: the rejected input is not logged at all."""
    failing = logging.getLogger("wangge.test.rejected")

    def log() -> None:
        try:
            _Reporter.model_validate(REFUSED)
        except pydantic.ValidationError as exc:
            failing.exception("refused")
            failing.error("refused: %s", exc.errors())
            failing.error("%s", ResponseValidationError(exc.errors()))

    written = _formatted("wangge.test.rejected", logging.Formatter(), log)
    assert written.count("input_value=<hidden>, input_type=str]") == 2
    assert written.count("'input': <hidden>") == 4
    assert "韩梅梅" not in written and unmasked(written) == []


def test_the_scan_finds_a_mediation_partys_clear_name():
    from tests.privacy_scan import MEDIATION_FILES, party_clear_names

    with MEDIATION_FILES.open(encoding="utf-8") as f:
        name = next(r["applicant"] for r in csv.DictReader(f) if len(r["applicant"]) >= 3)
    scan = PrivacyScan()
    scan.response(_response("/api/v1/x", f'{{"name": "{name}"}}'))
    scan.response(_response("/api/v1/y", f'{{"name": "{name[0]}*{name[-1]}"}}'))
    assert scan.findings == [f"GET http://t/api/v1/x → {name}"]
    assert party_clear_names("纠纷") == []


def test_the_scan_finds_a_sample_resident_s_clear_name_but_not_a_masked_one():
    from pathlib import Path

    from sample_data.output import open_csv

    with open_csv(Path(__file__).resolve().parents[1] / "sample_data" / "persons.csv.gz") as f:
        name = next(csv.DictReader(f))["name"]
    scan = PrivacyScan()
    scan.response(_response("/api/v1/households", f'{{"persons": [{{"name": "{name}"}}]}}'))
    masked = name[0] + "*" * (len(name) - 1)
    scan.response(_response("/api/v1/households", f'{{"persons": [{{"name": "{masked}"}}]}}'))
    scan.response(_response("/api/v1/persons/1/reveal", f'{{"fields": {{"name": "{name}"}}}}'))
    assert scan.findings == [f"GET http://t/api/v1/households → {name}"]
