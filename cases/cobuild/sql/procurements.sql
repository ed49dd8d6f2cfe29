-- Agreements in the caller's scope (one village, or one agreement) with their deliveries'
-- totals: delivered and accepted value, paid, households.
SELECT a.id, a.village_code, a.pairing_id, a.buyer, a.products, a.price_rule, a.signed_on,
       count(d.id) AS deliveries, count(DISTINCT d.household) AS households,
       coalesce(sum(d.amount), 0)::numeric(14,2) AS accepted_value,
       coalesce(sum(p.paid), 0)::numeric(14,2) AS paid
FROM cobuild_procurement a
LEFT JOIN cobuild_delivery d ON d.agreement_id = a.id
LEFT JOIN LATERAL (
    SELECT sum(x.amount) AS paid FROM cobuild_payment x WHERE x.delivery_id = d.id
) p ON true
WHERE {{area_in_scope(a.village_code)}}
  AND (CAST(:village AS text) IS NULL OR a.village_code = :village)
  AND (CAST(:agreement_id AS bigint) IS NULL OR a.id = :agreement_id)
GROUP BY a.id
ORDER BY a.village_code, a.signed_on, a.id
