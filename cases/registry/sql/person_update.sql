-- Write a person's editable fields (all of them, as merged by cases.registry.edits).
UPDATE person
SET household_id = :household_id, name = :name, id_number = :id_number, id_hash = :id_hash,
    birth_date = :birth_date, sex = :sex, ethnicity = :ethnicity, phone = :phone,
    residence_type = :residence_type, party_member = :party_member
WHERE id = :id
