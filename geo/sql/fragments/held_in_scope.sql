-- @fragment held_in_scope(queue_area_id)
-- An incident whose queue area is {queue_area_id} is held inside the caller's scope: the queue
-- area's code begins with :scope_prefix (null is the whole banner). An assigned incident is
-- held in its micro-grid, one without a micro-grid in the lowest area that took it.
(CAST(:scope_prefix AS text) IS NULL
 OR EXISTS (SELECT 1 FROM area q
            WHERE q.id = {queue_area_id}
              AND left(q.code, length(:scope_prefix)) = :scope_prefix))
