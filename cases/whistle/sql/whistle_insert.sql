-- A new whistle; the meeting point in storage coordinates, or null for the case's area.
INSERT INTO whistle (incident_id, kind, reason, meeting_geom, area_code, blown_by, blown_role,
                     blown_at)
VALUES (:incident_id, :kind, :reason,
        CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) END,
        :area_code, :blown_by, :blown_role, :at)
RETURNING id, blown_at
