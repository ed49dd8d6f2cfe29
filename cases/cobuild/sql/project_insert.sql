-- A project of fund :fund_id's yearly plan.
INSERT INTO cobuild_project (fund_id, year, name, budget, plan, account)
VALUES (:fund_id, :year, :name, :budget, :plan, :account)
RETURNING id
