-- The confirmed outcomes of the members :members in [:start, :end), oldest first: the
-- trail points are folded from (cases.party.points). Per member, in the order they happened.
SELECT cl.member_id, cf.outcome, cf.confirmed_at
FROM party_confirmation cf
JOIN party_claim cl ON cl.id = cf.claim_id
WHERE cl.member_id = ANY(CAST(:members AS int[]))
  AND cf.confirmed_at >= :start
  AND cf.confirmed_at < :end
ORDER BY cl.member_id, cf.confirmed_at, cf.id
