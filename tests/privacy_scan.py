"""A scan of everything the test run's service says for phone and ID numbers left in clear.

Every response the test clients receive and every log record of the session go through
:class:`PrivacyScan`; the session fails at the end if any of them carried one. Only the
answers of ``…/reveal`` (which exist to hand over the clear value, audited) are exempt.

The sample registry's people are scanned for by name as well: a JSON answer whose personal
field (:data:`PERSONAL_KEYS`: a name, an owner's, a legal person's) holds the clear name of a
sample resident or legal person is a finding (their ID numbers and phones, 150621… and
17000…, are caught by the number patterns).
The full names of the sample's mediation parties (``mediation_files.csv``) are looked for too.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import mapbox_vector_tile
import openpyxl

from geo.privacy import unmasked
from sample_data.output import read_csv

#: The one kind of answer meant to carry clear values (with a reason, audited).
EXEMPT_SUFFIX = "/reveal"
#: Response headers that are hashes, not text (see :meth:`PrivacyScan.response`).
OPAQUE_HEADERS = frozenset({"etag"})

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
#: JSON fields that name a person.
PERSONAL_KEYS = frozenset({"name", "owner_name", "legal_person", "reporter_name", "head_name"})


@cache
def registry_names() -> frozenset[str]:
    """The clear names of the sample registry's residents and legal persons."""
    names: set[str] = set()
    for file, column in (("persons.csv.gz", "name"), ("organisations.csv", "legal_person")):
        names.update(row[column] for row in read_csv(SAMPLE / file))
    return frozenset(names)


def clear_names(value: Any) -> list[str]:
    """Clear registry names in the personal fields of decoded JSON.

    >>> some = sorted(registry_names())[0]
    >>> clear_names({"households": [{"persons": [{"name": some}]}]}) == [some]
    True
    >>> clear_names({"name": some[0] + "*" * (len(some) - 1), "level": "grid"})
    []
    """
    found: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key in PERSONAL_KEYS and isinstance(child, str) and child in registry_names():
                found.append(child)
            else:
                found += clear_names(child)
    elif isinstance(value, list):
        for child in value:
            found += clear_names(child)
    return found


#: Text formats, scanned as they are; vector tiles and Excel workbooks are decoded; fonts,
#: images and archives (area exports) hold no personal data and their bytes would only give
#: false matches.
TEXT_TYPES = ("text/", "application/json", "application/geo+json", "application/javascript")
TILE_TYPE = "application/vnd.mapbox-vector-tile"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable(response: httpx.Response) -> str:
    """The text of an answer as the scan reads it (tiles and workbooks decoded)."""
    content_type = response.headers.get("content-type", "")
    if content_type.startswith(TEXT_TYPES):
        return response.content.decode("utf-8", errors="replace")
    if content_type.startswith(TILE_TYPE) and response.content:
        return json.dumps(mapbox_vector_tile.decode(response.content), ensure_ascii=False)
    if content_type.startswith(XLSX_TYPE) and response.content:  # every cell of every sheet
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return ""


MEDIATION_FILES = Path(__file__).resolve().parents[1] / "sample_data" / "mediation_files.csv"


@cache
def party_names() -> re.Pattern[str] | None:
    """The sample's mediation parties by their full names (three characters or more: a
    two-character name is too likely to be a word), which no answer may carry in clear."""
    if not MEDIATION_FILES.exists():
        return None
    with MEDIATION_FILES.open(encoding="utf-8", newline="") as f:
        names = {r[side] for r in csv.DictReader(f) for side in ("applicant", "respondent")}
    names = {n for n in names if len(n) >= 3}
    return re.compile("|".join(map(re.escape, sorted(names)))) if names else None


def party_clear_names(text: str) -> list[str]:
    pattern = party_names()
    return [] if pattern is None else sorted(set(pattern.findall(text)))


def _names_in(body: str) -> list[str]:
    if not body.lstrip().startswith(("{", "[")):
        return []
    try:
        return clear_names(json.loads(body))
    except ValueError:
        return []


@dataclass
class PrivacyScan:
    findings: list[str] = field(default_factory=list)
    responses: int = 0
    log_records: int = 0

    def response(self, response: httpx.Response) -> None:
        """An httpx response hook (TestClient is an httpx client)."""
        request = response.request
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return  # an endless stream; tests/test_stream.py reads its events
        response.read()
        self.responses += 1
        if request.url.path.endswith(EXEMPT_SUFFIX):
            return
        body = readable(response)
        # an ETag is an opaque hash (a static file's: md5 of its install time and size), whose
        # hex digits can happen to read like a phone number: nothing personal can be in it
        headers = "\n".join(
            f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in OPAQUE_HEADERS
        )
        clear = party_clear_names(body) + _names_in(body)  # a name may be in both samples
        for found in unmasked(body) + unmasked(headers) + list(dict.fromkeys(clear)):
            self.findings.append(f"{request.method} {request.url} → {found}")

    def text(self, where: str, content: str) -> None:
        """Any other text the service produced (a page's rendered DOM, a CLI's output)."""
        self.responses += 1
        for found in unmasked(content) + party_clear_names(content):
            self.findings.append(f"{where} → {found}")

    def handler(self) -> logging.Handler:
        scan = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                scan.log_records += 1
                line = self.format(record)
                for found in unmasked(line):
                    scan.findings.append(f"log {record.name}: {found} in {line[:200]!r}")

        return _Handler(level=logging.DEBUG)
