-- After a load of households and persons: each household's head is its first person, and a
-- house's owner (name, ID number, phone) the head of its first household.
UPDATE household h SET head_person_id = p.first
FROM (SELECT household_id, min(id) AS first FROM person GROUP BY household_id) p
WHERE p.household_id = h.id AND h.head_person_id IS NULL;

UPDATE house o SET owner_name = p.name, owner_id_number = p.id_number, owner_phone = p.phone
FROM (SELECT DISTINCT ON (house_id) house_id, head_person_id FROM household
      ORDER BY house_id, id) f
JOIN person p ON p.id = f.head_person_id
WHERE f.house_id = o.id AND o.owner_name IS NULL;
