"""The sample's routines: ``contacts.csv.gz`` and ``meetings.csv`` (``sample_data/routines.py``)
loaded with ``COPY`` into staging tables and written in set-based statements, inside the
sample load's transaction. A contact whose household is missing fails nothing but is left
out; the counts are logged."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

from sqlalchemy import Connection

from cases.routines.sql import query
from geo.areas import current_generation

log = logging.getLogger(__name__)


def load_routines(conn: Connection, folder: Path) -> tuple[int, int]:
    """Load the sample's contacts and meetings; how many of each were written."""
    contacts, meetings = folder / "contacts.csv.gz", folder / "meetings.csv"
    if not contacts.exists():
        return 0, 0
    for statement in query("sample_stage").text.split(";"):
        conn.exec_driver_sql(statement)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        for table, path in (("contact_stage", contacts), ("meeting_stage", meetings)):
            content = path.read_bytes()
            if path.suffix == ".gz":
                content = gzip.decompress(content)
            header = content[: content.index(b"\n")].decode("utf-8").strip()
            columns = f"{table} ({header})"  # the generator's own header names the columns
            with cur.copy(f"COPY {columns} FROM STDIN (FORMAT csv, HEADER true)") as copy:
                copy.write(content)
    written = conn.execute(query("sample_contacts")).rowcount
    conn.execute(query("sample_identity"))
    held = conn.execute(query("sample_meetings"), {"g": current_generation(conn)}).rowcount
    conn.execute(query("sample_analyze"))
    log.info("sample routines: %d contacts, %d meetings", written, held)
    return written, held
