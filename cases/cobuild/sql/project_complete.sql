-- Project :project_id of fund :fund_id marked done once, with its evidence; nothing when it
-- is not there or already done.
UPDATE cobuild_project SET completed_on = :completed_on, evidence = :evidence
WHERE id = :project_id AND fund_id = :fund_id AND completed_on IS NULL
RETURNING id
