"""Small helpers shared by the test modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


def counts(engine: Engine) -> Any:
    """Rows in the incident tables and codes handed out: what a refused request must not change."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM incident), (SELECT count(*) FROM incident_event), "
                "(SELECT count(*) FROM idempotency_key), "
                "(SELECT coalesce(sum(last), 0) FROM incident_counter)"
            )
        ).one()
