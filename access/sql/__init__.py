"""The SQL of accounts, tokens and the audit trail, loaded by name (see :mod:`geo.sql`)."""

from pathlib import Path

from geo.sql import loader

query = loader(Path(__file__).parent)
