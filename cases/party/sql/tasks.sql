-- Community tasks the caller may see (their community's, or any inside their scope), with
-- their claim and its outcome: state open (no claim), claimed, completed or no_show.
-- :id picks one task; :community and :state filter the list.
SELECT t.id,
       c.code AS community_code,
       c.name AS community_name,
       t.title,
       t.description,
       t.starts_at,
       t.created_at,
       cl.member_id AS claimed_by,
       m.name AS claimed_by_name,
       cl.claimed_at,
       cf.outcome,
       cf.confirmed_at,
       CASE WHEN cl.id IS NULL THEN 'open'
            WHEN cf.id IS NULL THEN 'claimed'
            ELSE cf.outcome END AS state
FROM party_task t
JOIN area c ON c.id = t.community_id
LEFT JOIN party_claim cl ON cl.task_id = t.id
LEFT JOIN member m ON m.id = cl.member_id
LEFT JOIN party_confirmation cf ON cf.claim_id = cl.id
WHERE {{area_seen_in_scope(c.code)}}
  AND (CAST(:id AS bigint) IS NULL OR t.id = :id)
  AND (CAST(:community AS text) IS NULL OR c.code = :community)
  AND (CAST(:state AS text) IS NULL
       OR :state = CASE WHEN cl.id IS NULL THEN 'open'
                        WHEN cf.id IS NULL THEN 'claimed'
                        ELSE cf.outcome END)
ORDER BY t.created_at DESC, t.id DESC
LIMIT :limit OFFSET :offset
