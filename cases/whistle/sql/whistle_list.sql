-- The whistles the caller may see, newest first: all, or those of case :code, or only open
-- ones (not released and the case not closed); with the point to draw (the meeting point, else
-- the case's) and the case's area as GeoJSON when there is no meeting point.
SELECT w.id, w.kind, w.reason, w.area_code, w.blown_role, w.blown_at, w.released_at,
       i.code, i.status AS incident_status, now() AS now,
       w.meeting_geom IS NOT NULL AS has_meeting,
       ST_X(coalesce(w.meeting_geom, i.geom)) AS lon, ST_Y(coalesce(w.meeting_geom, i.geom)) AS lat,
       CASE WHEN w.meeting_geom IS NULL AND :with_area
            THEN ST_AsGeoJSON(q.geom, 6) END AS area
FROM whistle w
JOIN incident i ON i.id = w.incident_id
JOIN area q ON q.id = i.queue_area_id
WHERE {{whistle_in_scope(w)}}
  AND (CAST(:id AS bigint) IS NULL OR w.id = :id)
  AND (CAST(:code AS text) IS NULL OR i.code = :code)
  AND (NOT :open_only OR (w.released_at IS NULL
                          AND i.status NOT IN ('closed', 'evaluated', 'void')))
ORDER BY w.blown_at DESC, w.id DESC
LIMIT :limit
