-- One contact (a visit or a call) and its households, in one statement.
WITH c AS (
    INSERT INTO contact (member_id, account, at, channel, needs, incident_codes, geom,
                         micro_grid_id)
    VALUES (:member_id, :account, :at, :channel, :needs, CAST(:incident_codes AS jsonb),
            CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END,
            :micro_grid_id)
    RETURNING id
), h AS (
    INSERT INTO contact_household (contact_id, household_id)
    SELECT c.id, unnest(CAST(:household_ids AS bigint[])) FROM c
)
SELECT id FROM c
