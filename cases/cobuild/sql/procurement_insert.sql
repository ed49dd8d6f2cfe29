-- A directed procurement agreement (以买代帮) of village :village_code.
INSERT INTO cobuild_procurement (village_code, pairing_id, buyer, products, price_rule,
                                 signed_on, account)
VALUES (:village_code, :pairing_id, :buyer, CAST(:products AS jsonb), :price_rule, :signed_on,
        :account)
RETURNING id
