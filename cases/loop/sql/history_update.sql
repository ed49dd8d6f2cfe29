-- The derived columns of the sample's incidents, as their replayed trails leave them
-- (cases.loop.history): one statement for all of them.
UPDATE incident i
SET status = u.status, level = u.level, closed_level = u.closed_level,
    card = u.card, delay_state = u.delay_state, handling_started_at = u.handling_started_at,
    hung_since = u.hung_since, step_due_at = u.step_due_at, deadline_at = u.deadline_at,
    transfers = u.transfers, reopened_count = u.reopened_count, evaluation = u.evaluation,
    version = u.version
FROM unnest(
    CAST(:id AS bigint[]), CAST(:status AS text[]), CAST(:level AS text[]),
    CAST(:closed_level AS text[]), CAST(:card AS text[]), CAST(:delay_state AS text[]),
    CAST(:handling_started_at AS timestamptz[]), CAST(:hung_since AS timestamptz[]),
    CAST(:step_due_at AS timestamptz[]), CAST(:deadline_at AS timestamptz[]),
    CAST(:transfers AS integer[]), CAST(:reopened_count AS integer[]),
    CAST(:evaluation AS text[]), CAST(:version AS integer[])
) AS u(id, status, level, closed_level, card, delay_state, handling_started_at, hung_since,
       step_due_at, deadline_at, transfers, reopened_count, evaluation, version)
WHERE i.id = u.id
