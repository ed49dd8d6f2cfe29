-- Codes of areas :ids.
SELECT id, code FROM area WHERE id = ANY(CAST(:ids AS bigint[]))
