-- Pairings in the caller's scope (optionally one village, one pairing), with the money
-- received under each: its receipts and their reversals (a reversal keeps the pairing of
-- the entry it reverses), and the village's name and outline (simplified, for the map) in
-- the current generation :g.
SELECT p.id, p.village_code, v.name AS village_name, p.partner, p.agreement,
       p.yearly_commitment, p.since,
       coalesce(r.received, 0)::numeric(14,2) AS received, r.receipts, r.last_on,
       CASE WHEN :geometry THEN ST_AsGeoJSON(ST_SimplifyPreserveTopology(v.geom, 0.0005), 6)
       END AS geometry
FROM cobuild_pairing p
LEFT JOIN LATERAL (
    SELECT a.name, a.geom FROM area a
    WHERE a.code = p.village_code AND a.level = 'village' AND {{live(a)}}
) v ON true
LEFT JOIN LATERAL (
    SELECT sum(e.delta) AS received, count(*) FILTER (WHERE e.kind = 'receipt') AS receipts,
           max(e.booked_on) AS last_on
    FROM cobuild_entry e WHERE e.pairing_id = p.id
) r ON true
WHERE {{area_in_scope(p.village_code)}}
  AND (CAST(:village AS text) IS NULL OR p.village_code = :village)
  AND (CAST(:pairing_id AS bigint) IS NULL OR p.id = :pairing_id)
ORDER BY p.village_code, p.since, p.id
