"""SQL of co-building money, loaded once by name (see :func:`geo.sql.loader`)."""

from __future__ import annotations

from pathlib import Path

from geo.sql import loader

query = loader(Path(__file__).parent)
