-- One person inside the caller's scope (their house's micro-grid code, area_in_scope), with
-- the household's code and the micro-grid's, locked for an edit when :lock.
SELECT p.id, p.household_id, hh.code AS household_code, p.name, p.id_number, p.birth_date,
       p.sex, p.ethnicity, p.phone, p.residence_type, p.party_member, mg.code AS micro_grid_code,
       coalesce(
           (SELECT json_agg(json_build_array(t.tag, k.mark) ORDER BY t.tag)
            FROM person_tag t JOIN tag_kind k ON k.tag = t.tag WHERE t.person_id = p.id),
           '[]') AS tags
FROM person p
JOIN household hh ON hh.id = p.household_id
JOIN house ho ON ho.id = hh.house_id
JOIN area mg ON mg.id = ho.micro_grid_id
WHERE p.id = :id AND {{area_in_scope(mg.code)}}
