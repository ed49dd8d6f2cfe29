-- Meetings held in areas inside the caller's scope, newest first; optionally of one kind,
-- one area (:area, a code prefix: a village's includes its grids' meetings) or one id.
SELECT mt.id, mt.kind, mt.at, mt.attendees, mt.issues, mt.decisions, mt.incident_codes,
       mt.agenda, mt.account, a.code AS area_code, a.name AS area_name
FROM meeting mt
JOIN area a ON a.id = mt.area_id
WHERE {{area_in_scope(a.code)}}
  AND (CAST(:id AS bigint) IS NULL OR mt.id = :id)
  AND (CAST(:kind AS text) IS NULL OR mt.kind = :kind)
  AND (CAST(:area AS text) IS NULL OR left(a.code, length(:area)) = :area)
ORDER BY mt.at DESC, mt.id DESC
LIMIT :limit
