-- Deliveries of agreement :agreement_id, oldest first, with what was paid for each.
SELECT d.id, d.household, d.product, d.delivered_on, d.quantity, d.accepted, d.quality,
       d.price, d.amount,
       coalesce((SELECT sum(x.amount) FROM cobuild_payment x WHERE x.delivery_id = d.id), 0)
           ::numeric(14,2) AS paid
FROM cobuild_delivery d
WHERE d.agreement_id = :agreement_id
ORDER BY d.delivered_on, d.id
