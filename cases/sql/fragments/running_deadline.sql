-- @fragment running_deadline(i)
-- The deadline the case aliased {i} is running against: the current step's (accept, file,
-- dispatch, sign, handle, verify), or the handling deadline when no step deadline is set.
coalesce({i}.step_due_at, {i}.deadline_at)
