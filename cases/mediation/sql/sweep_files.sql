-- The files the mediation sweep watches: a ladder still open (its next attempt's clock and the
-- whole ladder's), or an agreement whose judicial confirmation is pending or that has had no
-- follow-up call yet. With the rung's attempts so far and the case's desk (live event).
SELECT f.id AS file_id, f.incident_id, i.level, i.queue_area_id, i.department_id, f.intake_on,
       f.opened_at,
       f.outcome, last.held_at AS last_held_at, g.effective_on, g.confirmation_due,
       g.confirmation,
       EXISTS (SELECT 1 FROM mediation_follow_up u WHERE u.file_id = f.id) AS followed_up
FROM mediation_file f
JOIN incident i ON i.id = f.incident_id
LEFT JOIN mediation_agreement g ON g.file_id = f.id
LEFT JOIN LATERAL (SELECT a.held_at FROM mediation_attempt a WHERE a.file_id = f.id
                   ORDER BY a.held_at DESC LIMIT 1) last ON true
WHERE f.outcome IS NULL
   OR (g.id IS NOT NULL AND (g.confirmation = 'pending'
       OR NOT EXISTS (SELECT 1 FROM mediation_follow_up u WHERE u.file_id = f.id)))
ORDER BY f.id
