"""SQL kept in ``.sql`` files beside the code that runs it, loaded once by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text


def loader(folder: Path) -> Callable[[str], TextClause]:
    """A cached ``query(name)`` reading ``folder/<name>.sql`` as a SQLAlchemy text clause."""

    @cache
    def query(name: str) -> TextClause:
        return text((folder / f"{name}.sql").read_text(encoding="utf-8"))

    return query


query = loader(Path(__file__).parent)
