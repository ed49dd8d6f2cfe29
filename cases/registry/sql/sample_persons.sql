-- The sample's persons from the temp table registry_person_in (in file order, n) and their
-- tags (';'-separated), recorded from :since.
WITH written AS (
    INSERT INTO person (household_id, name, id_number, id_hash, birth_date, sex, ethnicity,
                        phone, residence_type, party_member)
    SELECT h.id, p.name, p.id_number, p.id_hash, p.birth_date, p.sex, p.ethnicity, p.phone,
           p.residence_type, p.party_member
    FROM registry_person_in p
    JOIN household h ON h.code = p.household_code
    ORDER BY p.n
    RETURNING id, id_hash
)
INSERT INTO person_tag (person_id, tag, since)
SELECT w.id, t.tag, CAST(:since AS date)
FROM written w
JOIN registry_person_in p ON p.id_hash = w.id_hash
CROSS JOIN LATERAL unnest(string_to_array(nullif(p.tags, ''), ';')) AS t(tag)
