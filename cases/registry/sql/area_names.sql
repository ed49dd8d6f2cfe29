-- Names of areas :ids.
SELECT id, name FROM area WHERE id = ANY(CAST(:ids AS bigint[]))
