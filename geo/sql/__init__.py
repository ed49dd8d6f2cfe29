"""SQL kept in ``.sql`` files beside the code that runs it, loaded once by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text

_HERE = Path(__file__).parent


@cache
def query(name: str) -> TextClause:
    """The statement in ``geo/sql/<name>.sql`` as a SQLAlchemy text clause."""
    return text((_HERE / f"{name}.sql").read_text(encoding="utf-8"))
