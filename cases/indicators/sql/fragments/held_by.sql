-- @fragment held_by(incident_id, before)
-- The code of the department that held case {incident_id} just before {before}, as its trail
-- says: the department of its last entry before then that names one (a dispatch, a transfer,
-- a re-assignment, or before any of these the routing at intake). The one home of "which
-- department a figure counts a case for": a department answers for what it held at the time,
-- never for what today's routing would send it.
(SELECT hd.code FROM incident_event he JOIN department hd ON hd.id = he.to_department_id
 WHERE he.incident_id = {incident_id} AND he.at < {before} AND he.to_department_id IS NOT NULL
 ORDER BY he.id DESC LIMIT 1)
