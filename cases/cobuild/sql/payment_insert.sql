-- A payment for one delivery (append-only).
INSERT INTO cobuild_payment (delivery_id, paid_on, amount, voucher, account)
VALUES (:delivery_id, :paid_on, :amount, :voucher, :account)
RETURNING id
