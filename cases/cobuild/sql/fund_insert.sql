-- A new fund of village :village_code with its loan terms (借鸡下蛋).
INSERT INTO cobuild_fund (village_code, name, pairing_id, loan_amount, instalment, years,
                          cohort_size, account)
VALUES (:village_code, :name, :pairing_id, :loan_amount, :instalment, :years, :cohort_size,
        :account)
RETURNING id
