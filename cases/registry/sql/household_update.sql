-- Set household :id's head, which must be one of its persons (0 rows otherwise).
UPDATE household SET head_person_id = :head
WHERE id = :id AND EXISTS (SELECT 1 FROM person p WHERE p.id = :head AND p.household_id = :id)
RETURNING head_person_id
