-- @fragment routed_department(c, t)
-- The department an incident of the category row {c} held in the township row {t} (all nulls
-- for the banner's queue) is routed to: the township's routing override for the category,
-- else the category's own department (null when neither names one). cases/dispatch.py states
-- the rule; desks.sql (any number of incidents) and intake_start.sql (one report) apply it.
coalesce(
    (SELECT o.department_id FROM routing_override o
     WHERE o.category_code = {c}.code AND o.township_code = {t}.code),
    {c}.department_id
)
