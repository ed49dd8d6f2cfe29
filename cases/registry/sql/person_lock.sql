-- The stored, editable fields of person :id, locked for an edit.
SELECT household_id, name, id_number, id_hash, birth_date, sex, ethnicity, phone,
       residence_type, party_member
FROM person WHERE id = :id FOR UPDATE
