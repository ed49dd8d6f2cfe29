-- Record a check-in, judged where and when it happened: the distance (on the spheroid, in
-- metres) from the point to the meeting point or, without one, to the case's area (0 inside);
-- on site when within :buffer metres (the phone's accuracy, or the default), then on time
-- when not after the arrival deadline, else late; off site is 'outside'. A retry (same
-- whistle, department and :retry_key) writes nothing and returns no row.
WITH target AS (
    SELECT coalesce(w.meeting_geom, q.geom) AS geom
    FROM whistle w
    JOIN incident i ON i.id = w.incident_id
    JOIN area q ON q.id = i.queue_area_id
    WHERE w.id = :whistle_id
), p AS (
    SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) AS geom
), d AS (
    SELECT ST_Distance(target.geom::geography, p.geom::geography) AS distance_m FROM target, p
)
INSERT INTO whistle_checkin (whistle_id, department_id, retry_key, at, geom, datum, accuracy_m,
                             distance_m, judgement, by)
SELECT :whistle_id, :department_id, :retry_key, :at, p.geom, :datum, :accuracy, d.distance_m,
       CASE WHEN d.distance_m > :buffer THEN 'outside'
            WHEN CAST(:at AS timestamptz) <= :arrive_due THEN 'on_time'
            ELSE 'late' END,
       :by
FROM p, d
ON CONFLICT (whistle_id, department_id, retry_key) DO NOTHING
RETURNING id
