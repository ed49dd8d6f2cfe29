-- Claim (认领) household :id for member :member when the member serves its house's
-- micro-grid: a party member of that micro-grid or a grid worker of its grid. Unclaimed or
-- already the member's; answers the household's claim after the statement.
UPDATE household hh
SET claimed_by_member_id = :member, claimed_at = coalesce(hh.claimed_at, now())
FROM house ho, area mg, member m
WHERE hh.id = :id AND ho.id = hh.house_id AND mg.id = ho.micro_grid_id AND m.id = :member
  AND (m.area_id = mg.id OR (m.area_id = mg.parent_id AND m.kind = 'grid_worker'))
  AND (hh.claimed_by_member_id IS NULL OR hh.claimed_by_member_id = :member)
RETURNING hh.claimed_by_member_id, hh.claimed_at
