-- The ids of the department codes :codes (unknown codes have no row).
SELECT code, id FROM department WHERE code = ANY(CAST(:codes AS text[]))
