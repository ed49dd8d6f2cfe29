-- One meeting record.
INSERT INTO meeting (kind, area_id, at, attendees, issues, decisions, incident_codes, agenda,
                     account)
VALUES (:kind, :area_id, :at, CAST(:attendees AS jsonb), :issues, :decisions,
        CAST(:incident_codes AS jsonb), CAST(:agenda AS jsonb), :account)
RETURNING id
