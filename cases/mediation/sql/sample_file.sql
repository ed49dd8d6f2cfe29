-- A sample file on incident :code (which must be the dispute of type :dispute_type).
INSERT INTO mediation_file (incident_id, intake_on, dispute_type, source, summary,
                            rights_notified, rights_notified_on, risk, opened_at, opened_by,
                            rung_since, outcome, ended_at)
SELECT i.id, CAST(:intake_on AS date), :dispute_type, :source, :summary, true,
       CAST(:rights_notified_on AS date), :risk, :opened_at, 'sample', :rung_since, :outcome,
       :ended_at
FROM incident i WHERE i.code = :code AND i.category_code = :dispute_type
RETURNING id
