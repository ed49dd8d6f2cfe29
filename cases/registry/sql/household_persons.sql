-- The persons of households :ids (the head first) with their tags and the tags' marks.
SELECT p.id, p.household_id, hh.code AS household_code, p.name, p.id_number, p.birth_date,
       p.sex, p.ethnicity, p.phone, p.residence_type, p.party_member,
       coalesce(
           (SELECT json_agg(json_build_array(t.tag, k.mark) ORDER BY t.tag)
            FROM person_tag t JOIN tag_kind k ON k.tag = t.tag WHERE t.person_id = p.id),
           '[]') AS tags
FROM person p
JOIN household hh ON hh.id = p.household_id
WHERE p.household_id = ANY(CAST(:ids AS bigint[]))
ORDER BY p.household_id, p.id <> coalesce(hh.head_person_id, 0), p.id
