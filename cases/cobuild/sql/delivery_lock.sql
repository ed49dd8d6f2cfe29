-- Delivery :delivery_id of agreement :agreement_id (in the caller's scope) locked while a
-- payment is posted, with what was paid for it so far.
SELECT d.id, d.amount,
       coalesce((SELECT sum(x.amount) FROM cobuild_payment x WHERE x.delivery_id = d.id), 0)
           AS paid
FROM cobuild_delivery d
JOIN cobuild_procurement a ON a.id = d.agreement_id
WHERE d.id = :delivery_id AND d.agreement_id = :agreement_id
  AND {{area_in_scope(a.village_code)}}
FOR NO KEY UPDATE OF d
