-- One task the caller may see, locked so that two claims (or two confirmations) of it are
-- decided one after the other; with its claim and confirmation if any.
SELECT t.id, c.code AS community_code, cl.id AS claim_id, cl.member_id, cf.id AS confirmation_id
FROM party_task t
JOIN area c ON c.id = t.community_id
LEFT JOIN party_claim cl ON cl.task_id = t.id
LEFT JOIN party_confirmation cf ON cf.claim_id = cl.id
WHERE t.id = :id
  AND {{area_seen_in_scope(c.code)}}
FOR UPDATE OF t
