-- Incidents inside the caller's scope matching a filter, newest first, one page after the
-- cursor (:after_at, :after_id). :area matches the code prefix of the area holding an incident
-- or, with a generation :g, the incidents inside :area_geom (that area's boundary then).
-- :due 'overdue' keeps the open cases past the deadline of the step they wait on (the
-- handling deadline when no step has run yet), 'soon' those due within 48 hours (the warning
-- of WORKFLOW.md §1); a hung case's clock stands still, so it is neither.
{{incident_view}}
WHERE (CAST(:xmin AS float8) IS NULL
       OR i.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4490))
  AND (CAST(:area AS text) IS NULL
       OR (CAST(:g AS int) IS NULL AND left(q.code, length(:area)) = :area)
       OR ST_Intersects(CAST(:area_geom AS geometry), i.geom))
  AND (CAST(:statuses AS text[]) IS NULL OR i.status = ANY(CAST(:statuses AS text[])))
  AND (CAST(:category AS text) IS NULL OR left(i.category_code, length(:category)) = :category)
  AND i.reported_at >= coalesce(CAST(:from_ AS timestamptz), '-infinity')
  AND i.reported_at < coalesce(CAST(:to_ AS timestamptz), 'infinity')
  AND (CAST(:member AS bigint) IS NULL OR i.member_id = :member)
  AND (CAST(:department AS text) IS NULL OR d.code = :department)
  AND (CAST(:card AS text) IS NULL OR i.card = :card)
  AND (CAST(:due AS text) IS NULL
       OR ({{clock_runs(i)}}
           AND CASE :due
                   WHEN 'overdue' THEN {{running_deadline(i)}} < now()
                   ELSE {{running_deadline(i)}} >= now()
                        AND {{running_deadline(i)}} < now() + interval '48 hours'
               END))
  AND {{incident_in_scope(i)}}
  AND (CAST(:after_at AS timestamptz) IS NULL OR (i.reported_at, i.id) < (:after_at, :after_id))
ORDER BY i.reported_at DESC, i.id DESC
LIMIT :limit
