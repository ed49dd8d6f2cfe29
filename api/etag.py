"""Versions over HTTP: ``ETag: "<version>"`` out, ``If-Match`` (or a body ``version``) in.

QGIS and other WFS-T-like clients send no ``If-Match``; they put ``version`` in the body.
Either is accepted; both must agree when both are sent.

Examples
--------
>>> expected_version('"3"', None), expected_version('W/"3"', 3), expected_version(None, 7)
(3, 3, 7)
>>> expected_version(None, None) is None
True
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from geo.errors import InvalidInput

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The version you edited, as the ETag gave it: "3". Or send `version`.',
    ),
]


def etag(version: int) -> dict[str, str]:
    """The ``ETag`` header for ``version``."""
    return {"ETag": f'"{version}"'}


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version an edit is based on, from ``If-Match`` or the body; None when neither."""
    header = None
    if if_match is not None:
        value = if_match.strip()
        value = value.removeprefix("W/").strip('"')
        if not value.isdigit():
            raise InvalidInput(
                "If-Match", f'expected a version like "3", got {if_match!r}', where="header"
            )
        header = int(value)
    if header is not None and body_version is not None and header != body_version:
        raise InvalidInput(
            "version", f"If-Match says {header} and the body says {body_version}", where="body"
        )
    return header if header is not None else body_version
