"""incidents and their trail partitioned by year (China time), native declarative partitioning

``incident`` is partitioned by RANGE (reported_at) and ``incident_event`` by RANGE (at): one
partition a year from 2020, the year in China time, as the codes count it (DLT-2026-… lives
in ``incident_2026``), and a DEFAULT partition for anything dated outside them (an import of
older cases), so no report is ever refused for want of a partition. A year of cases can then be
vacuumed, archived or detached on its own, and a query that bounds the time reads only the
years it names (partition pruning).

PostgreSQL wants the partition key in every unique key of a partitioned table: the primary key
of ``incident`` becomes (id, reported_at) and its code's unique key (code, reported_at). (The
code stays unique in fact: its year is the partition's, and the year's counter numbers it.) A
reference to a case is therefore (incident_id, incident_reported_at), MATCH FULL. Writers that
know the case's ``reported_at`` pass it (the intake, the actions); for the others the trigger
``incident_reference_fill`` reads it from the case, and refuses a case that does not exist as
a foreign key would.

``wangge_year_partitions(ahead)`` creates the partitions of this year and the ``ahead`` next
ones that are missing. It belongs to the tables' owner (SECURITY DEFINER), so the service's
hourly housekeeping can call it without owning a table.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables that reference a case, with whether the reference may be empty.
REFERENCES = {
    "incident_event": False,
    "idempotency_key": True,
    "attachment": True,
    "mediation_file": False,
    "whistle": False,
    "case_score": False,
}

#: Partitioned table -> its partition key.
PARTITIONED = {"incident": "reported_at", "incident_event": "at"}

INCIDENT_INDEXES = """
CREATE INDEX idx_incident_geom ON incident USING gist (geom);
CREATE INDEX ix_incident_category_code ON incident (category_code);
CREATE INDEX ix_incident_department_id ON incident (department_id);
CREATE INDEX ix_incident_member_id ON incident (member_id);
CREATE INDEX ix_incident_micro_grid_id ON incident (micro_grid_id);
CREATE INDEX ix_incident_queue_area_id ON incident (queue_area_id);
CREATE INDEX ix_incident_reported_at_id ON incident (reported_at, id);
CREATE INDEX ix_incident_status ON incident (status);
CREATE INDEX ix_incident_step_due_at ON incident (step_due_at);
"""

INCIDENT_FOREIGN_KEYS = {
    "fk_incident_category_code_category": "(category_code) REFERENCES category (code)",
    "fk_incident_department_id_department": "(department_id) REFERENCES department (id)",
    "fk_incident_generation_id_generation": "(generation_id) REFERENCES generation (id)",
    "fk_incident_grid_id_area": "(grid_id) REFERENCES area (id)",
    "fk_incident_member_id_member": "(member_id) REFERENCES member (id)",
    "fk_incident_micro_grid_id_area": "(micro_grid_id) REFERENCES area (id)",
    "fk_incident_queue_area_id_area": "(queue_area_id) REFERENCES area (id)",
    "fk_incident_township_id_area": "(township_id) REFERENCES area (id)",
    "fk_incident_village_id_area": "(village_id) REFERENCES area (id)",
}

EVENT_FOREIGN_KEYS = {
    "fk_incident_event_from_area_id_area": "(from_area_id) REFERENCES area (id)",
    "fk_incident_event_to_area_id_area": "(to_area_id) REFERENCES area (id)",
    "fk_incident_event_from_department_id_department": "(from_department_id) "
    "REFERENCES department (id)",
    "fk_incident_event_to_department_id_department": "(to_department_id) "
    "REFERENCES department (id)",
    "fk_incident_event_from_member_id_member": "(from_member_id) REFERENCES member (id)",
    "fk_incident_event_to_member_id_member": "(to_member_id) REFERENCES member (id)",
}

YEAR_PARTITIONS = """
CREATE FUNCTION wangge_partition_key(parent text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE parent WHEN 'incident' THEN 'reported_at' ELSE 'at' END
$$;

CREATE FUNCTION wangge_year_partitions(ahead integer DEFAULT 2) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
-- The yearly partitions (China time) of incident and incident_event from this year to
-- "ahead" years on that are missing; returns how many it created. Safe to run at once from
-- any number of processes: the first takes the lock, the others find the work done.
DECLARE
    parent text;
    this_year integer := extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::integer;
    y integer;
    made integer := 0;
    held boolean;
BEGIN
    IF ahead IS NULL OR ahead < 0 OR ahead > 10 THEN
        RAISE EXCEPTION 'ahead must be 0 to 10 years, not %', ahead
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('wangge_year_partitions'));
    FOREACH parent IN ARRAY ARRAY['incident', 'incident_event'] LOOP
        FOR y IN this_year .. this_year + ahead LOOP
            IF to_regclass(format('%I', parent || '_' || y)) IS NOT NULL THEN
                CONTINUE;
            END IF;
            EXECUTE format(
                'SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)',
                parent || '_default', wangge_partition_key(parent), wangge_partition_key(parent))
                INTO held
                USING make_timestamptz(y, 1, 1, 0, 0, 0, 'Asia/Shanghai'),
                      make_timestamptz(y + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai');
            IF held THEN  -- PostgreSQL would refuse it: say so, and make the others
                RAISE WARNING '% of % not made: the default partition holds rows of it',
                    y, parent;
                CONTINUE;
            END IF;
            PERFORM wangge_year_partition(parent, y);
            made := made + 1;
        END LOOP;
    END LOOP;
    RETURN made;
END $$;

CREATE FUNCTION wangge_year_partition(parent text, y integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
-- Year y of the partitions of parent: from 1 January 00:00 China time to the next.
BEGIN
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
        parent || '_' || y, parent,
        make_timestamptz(y, 1, 1, 0, 0, 0, 'Asia/Shanghai'),
        make_timestamptz(y + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai'));
END $$;
"""

APPEND_ONLY = """
CREATE FUNCTION incident_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- the one change allowed: the case's partition key, when the case's reported_at is
    -- corrected (the foreign key's ON UPDATE CASCADE); the entry itself stays as written
    IF TG_OP = 'UPDATE'
       AND to_jsonb(OLD) - 'incident_reported_at' = to_jsonb(NEW) - 'incident_reported_at' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'incident_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER incident_event_append_only BEFORE UPDATE OR DELETE ON incident_event
    FOR EACH ROW EXECUTE FUNCTION incident_event_append_only();
CREATE TRIGGER incident_event_no_truncate BEFORE TRUNCATE ON incident_event
    FOR EACH STATEMENT EXECUTE FUNCTION incident_event_append_only();
"""

REFERENCE_FILL = """
CREATE FUNCTION incident_reference_fill() RETURNS trigger LANGUAGE plpgsql AS $$
-- A reference to a case carries the case's partition key: fill it in when the writer did not,
-- and refuse a case that does not exist (as the foreign key would).
BEGIN
    IF NEW.incident_id IS NOT NULL AND NEW.incident_reported_at IS NULL THEN
        SELECT reported_at INTO NEW.incident_reported_at FROM incident WHERE id = NEW.incident_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'incident % does not exist (%)', NEW.incident_id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
"""


#: The first year with a partition of its own; older reports (historic imports) and the
#: trail written about them go to the default partition.
FIRST_YEAR = 2020


def _years() -> list[int]:
    """Every year (China time) from :data:`FIRST_YEAR`, or the first case or trail entry's if
    earlier, to two years after the latest of those and now."""
    rows = op.get_bind().exec_driver_sql(
        "SELECT DISTINCT extract(year FROM t AT TIME ZONE 'Asia/Shanghai')::int FROM ("
        " SELECT reported_at AS t FROM incident UNION ALL SELECT at FROM incident_event"
        " UNION ALL SELECT now()) s"
    )
    seen = [year for (year,) in rows]
    return list(range(min([*seen, FIRST_YEAR]), max(seen) + 3))


def _rebuild(partitioned: bool) -> None:
    """incident and incident_event made again, partitioned or not, with their rows (ids
    kept): new tables beside the old ones, the rows copied, the old ones dropped and the new
    ones renamed, then their keys, indexes and triggers."""
    suffix = "partitioned" if partitioned else "plain"
    for table, key in PARTITIONED.items():
        op.execute(
            f"CREATE TABLE {table}_{suffix} (LIKE {table} INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING STORAGE)"
            + (f" PARTITION BY RANGE ({key})" if partitioned else "")
        )
    if partitioned:
        op.execute(
            "ALTER TABLE incident_event_partitioned ADD COLUMN incident_reported_at timestamptz"
        )
        years = _years()
        for table in PARTITIONED:
            op.execute(f"CREATE TABLE {table}_default PARTITION OF {table}_partitioned DEFAULT")
            for y in years:
                op.execute(
                    f"CREATE TABLE {table}_{y} PARTITION OF {table}_partitioned FOR VALUES "
                    f"FROM (make_timestamptz({y}, 1, 1, 0, 0, 0, 'Asia/Shanghai')) "
                    f"TO (make_timestamptz({y + 1}, 1, 1, 0, 0, 0, 'Asia/Shanghai'))"
                )
        events = (
            "SELECT e.*, i.reported_at FROM incident_event e "
            "JOIN incident i ON i.id = e.incident_id"
        )
    else:
        op.execute("ALTER TABLE incident_event_plain DROP COLUMN incident_reported_at")
        events = f"SELECT {', '.join(_columns('incident_event_plain'))} FROM incident_event"
    op.execute(f"INSERT INTO incident_{suffix} SELECT * FROM incident")
    op.execute(f"INSERT INTO incident_event_{suffix} {events}")
    op.execute("DROP FUNCTION incident_event_append_only() CASCADE")
    for table in PARTITIONED:
        op.execute(f"DROP TABLE {table}")
        op.execute(f"ALTER TABLE {table}_{suffix} RENAME TO {table}")
        op.execute(f"ALTER SEQUENCE {table}_{suffix}_id_seq RENAME TO {table}_id_seq")
        op.execute(f"SELECT setval('{table}_id_seq', coalesce(max(id), 0) + 1, false) FROM {table}")
    with_key = ", reported_at" if partitioned else ""
    op.execute(
        f"ALTER TABLE incident ADD CONSTRAINT pk_incident PRIMARY KEY (id{with_key}), "
        f"ADD CONSTRAINT uq_incident_code UNIQUE (code{with_key})"
    )
    op.execute(INCIDENT_INDEXES)
    for name, rule in INCIDENT_FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE incident ADD CONSTRAINT {name} FOREIGN KEY {rule}")
    if partitioned:
        op.execute("ALTER TABLE incident_event ALTER COLUMN incident_reported_at SET NOT NULL")
    op.execute(
        "ALTER TABLE incident_event ADD CONSTRAINT pk_incident_event "
        f"PRIMARY KEY (id{', at' if partitioned else ''})"
    )
    op.execute("CREATE INDEX ix_incident_event_incident_id_id ON incident_event (incident_id, id)")
    op.execute("CREATE INDEX ix_incident_event_at ON incident_event (at)")
    for name, rule in EVENT_FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE incident_event ADD CONSTRAINT {name} FOREIGN KEY {rule}")
    op.execute(APPEND_ONLY)  # the trail stays append-only


def _columns(table: str) -> list[str]:
    """``table``'s columns, in order."""
    rows = op.get_bind().exec_driver_sql(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (table,),
    )
    return [f'"{name}"' for (name,) in rows]


def upgrade() -> None:
    for table in REFERENCES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_incident_id_incident")
    _rebuild(partitioned=True)
    # every reference to a case: (incident_id, incident_reported_at)
    op.execute(REFERENCE_FILL)
    for table, optional in REFERENCES.items():
        if table != "incident_event":
            op.execute(f"ALTER TABLE {table} ADD COLUMN incident_reported_at timestamptz")
            op.execute(
                f"UPDATE {table} t SET incident_reported_at = i.reported_at "
                "FROM incident i WHERE i.id = t.incident_id"
            )
            if not optional:
                op.execute(f"ALTER TABLE {table} ALTER COLUMN incident_reported_at SET NOT NULL")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_incident_id_incident "
            "FOREIGN KEY (incident_id, incident_reported_at) "
            "REFERENCES incident (id, reported_at) MATCH FULL ON UPDATE CASCADE"
        )
        op.execute(
            f"CREATE TRIGGER {table}_incident_reference BEFORE INSERT OR UPDATE OF incident_id "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION incident_reference_fill()"
        )
    op.execute(YEAR_PARTITIONS)
    op.execute("ANALYZE incident")
    op.execute("ANALYZE incident_event")


def downgrade() -> None:
    op.execute("DROP FUNCTION wangge_year_partitions(integer)")
    op.execute("DROP FUNCTION wangge_year_partition(text, integer)")
    op.execute("DROP FUNCTION wangge_partition_key(text)")
    for table in REFERENCES:
        op.execute(f"DROP TRIGGER {table}_incident_reference ON {table}")
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_incident_id_incident")
        if table != "incident_event":
            op.execute(f"ALTER TABLE {table} DROP COLUMN incident_reported_at")
    op.execute("DROP FUNCTION incident_reference_fill()")
    _rebuild(partitioned=False)
    for table in REFERENCES:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_incident_id_incident "
            "FOREIGN KEY (incident_id) REFERENCES incident (id)"
        )
