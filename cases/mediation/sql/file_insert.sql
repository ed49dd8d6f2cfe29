-- Open the file of incident :incident_id (intake); the village rung's clock starts now.
INSERT INTO mediation_file (incident_id, intake_on, dispute_type, source, summary,
                            rights_notified, rights_notified_on, risk, opened_at, opened_by,
                            rung_since)
VALUES (:incident_id, :intake_on, :dispute_type, :source, :summary, :rights_notified,
        :rights_notified_on, :risk, :now, :actor, :now)
RETURNING id
