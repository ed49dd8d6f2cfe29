-- @fragment incident_in_scope(i)
-- The incident scope rule: the incident aliased {i} is visible to the caller when it is
-- routed to the caller's department and held in an area inside the caller's area
-- (geo.scope.Scope.holds is the same rule in Python, for the live stream). An out-of-scope
-- incident is indistinguishable from a missing one.
{{incident_in_department({i})}}
AND {{held_in_scope({i}.queue_area_id)}}
