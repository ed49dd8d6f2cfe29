-- @fragment clock_runs(i)
-- The case aliased {i} is waiting on someone: open, and not hung (a hung case's clock stands
-- still, WORKFLOW.md §1). Only such a case can be due soon or overdue; the command page's
-- figures and its 时限督办 filter both count with this rule.
{i}.status NOT IN ('void', 'closed', 'evaluated', 'hung')
