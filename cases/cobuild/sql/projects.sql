-- Projects of the funds in the caller's scope (one fund, or one village), with what was
-- spent on each (expenses and their reversals).
SELECT j.id, j.fund_id, f.village_code, j.year, j.name, j.budget, j.plan, j.completed_on,
       j.evidence, coalesce(-sum(e.delta), 0)::numeric(14,2) AS spent
FROM cobuild_project j
JOIN cobuild_fund f ON f.id = j.fund_id
LEFT JOIN cobuild_entry e ON e.project_id = j.id
WHERE {{area_in_scope(f.village_code)}}
  AND (CAST(:fund_id AS bigint) IS NULL OR j.fund_id = :fund_id)
  AND (CAST(:village AS text) IS NULL OR f.village_code = :village)
  AND (CAST(:project_id AS bigint) IS NULL OR j.id = :project_id)
GROUP BY j.id, f.village_code
ORDER BY j.year, j.id
