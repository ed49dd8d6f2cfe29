-- Entry :entry_id of fund :fund_id, and the id of the entry reversing it, if any.
SELECT e.id, e.kind, e.booked_on, e.delta, e.purpose, e.pairing_id, e.project_id, e.loan_id,
       (SELECT r.id FROM cobuild_entry r WHERE r.reverses_id = e.id) AS reversed_by
FROM cobuild_entry e
WHERE e.id = :entry_id AND e.fund_id = :fund_id
