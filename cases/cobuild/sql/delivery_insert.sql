-- A delivery with its quality acceptance (append-only); amount = accepted × price, to the fen.
INSERT INTO cobuild_delivery (agreement_id, household, product, delivered_on, quantity,
                              accepted, quality, price, amount, account)
VALUES (:agreement_id, :household, :product, :delivered_on, :quantity, :accepted, :quality,
        :price, :amount, :account)
RETURNING id
