-- Incidents by id (:ids, already filtered by the caller's scope), newest first: the list
-- behind an indicator (cases.indicators.compute.cases).
{{incident_view}}
WHERE i.id = ANY(CAST(:ids AS bigint[]))
ORDER BY i.reported_at DESC, i.id DESC
