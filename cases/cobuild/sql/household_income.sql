-- Income per household from directed procurement in the caller's scope (optionally one
-- village, one year of delivery): accepted value and what was paid.
SELECT a.village_code, d.household, count(*) AS deliveries,
       sum(d.amount)::numeric(14,2) AS accepted_value,
       coalesce(sum(p.paid), 0)::numeric(14,2) AS paid
FROM cobuild_delivery d
JOIN cobuild_procurement a ON a.id = d.agreement_id
LEFT JOIN LATERAL (
    SELECT sum(x.amount) AS paid FROM cobuild_payment x WHERE x.delivery_id = d.id
) p ON true
WHERE {{area_in_scope(a.village_code)}}
  AND (CAST(:village AS text) IS NULL OR a.village_code = :village)
  AND (CAST(:year AS int) IS NULL OR extract(year FROM d.delivered_on) = :year)
GROUP BY a.village_code, d.household
ORDER BY a.village_code, accepted_value DESC, d.household
