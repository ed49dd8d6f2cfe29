-- Write an import from the temp tables registry_import_house (new houses, placed),
-- registry_import_person (every accepted row, in line order): new houses, new households,
-- persons, their tags; a new household's head is its row marked 户主, else its first.
INSERT INTO house (code, name, geom, micro_grid_id)
SELECT code, name, ST_SetSRID(ST_MakePoint(lon, lat), 4490), micro_grid_id
FROM registry_import_house ORDER BY code;

INSERT INTO household (code, house_id)
SELECT DISTINCT ON (i.household) i.household, h.id
FROM registry_import_person i JOIN house h ON h.code = i.house
WHERE NOT EXISTS (SELECT 1 FROM household x WHERE x.code = i.household)
ORDER BY i.household;

INSERT INTO person (household_id, name, id_number, id_hash, birth_date, sex, ethnicity, phone,
                    residence_type, party_member)
SELECT hh.id, i.name, i.id_number, i.id_hash, i.birth_date, i.sex, i.ethnicity, i.phone,
       i.residence_type, i.party_member
FROM registry_import_person i JOIN household hh ON hh.code = i.household
ORDER BY i.line;

INSERT INTO person_tag (person_id, tag, since)
SELECT p.id, t.tag, CAST(now() AT TIME ZONE 'Asia/Shanghai' AS date)
FROM registry_import_person i
JOIN person p ON p.id_hash = i.id_hash
CROSS JOIN LATERAL unnest(i.tags) AS t(tag);

UPDATE household hh SET head_person_id = f.id
FROM (SELECT DISTINCT ON (i.household) i.household, p.id
      FROM registry_import_person i JOIN person p ON p.id_hash = i.id_hash
      ORDER BY i.household, NOT i.head, i.line) f
WHERE hh.code = f.household AND hh.head_person_id IS NULL;
