-- What the database already holds of an import: persons by ID hash (their household), the
-- households and houses by code (the house's micro-grid code for the scope check).
SELECT 'person' AS what, p.id_hash AS key, hh.code AS owner, NULL::text AS micro_grid
FROM person p JOIN household hh ON hh.id = p.household_id
WHERE p.id_hash = ANY(CAST(:hashes AS text[]))
UNION ALL
SELECT 'household', hh.code, ho.code, mg.code
FROM household hh JOIN house ho ON ho.id = hh.house_id JOIN area mg ON mg.id = ho.micro_grid_id
WHERE hh.code = ANY(CAST(:households AS text[]))
UNION ALL
SELECT 'house', ho.code, NULL, mg.code
FROM house ho JOIN area mg ON mg.id = ho.micro_grid_id
WHERE ho.code = ANY(CAST(:houses AS text[]))
