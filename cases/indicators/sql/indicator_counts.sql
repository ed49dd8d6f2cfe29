-- Every set of cases an indicator counts, per period k and group (:group_by none | area |
-- department),
-- in ONE pass over the trail: the registry (cases.indicators.registry) turns these counts
-- into numerators and denominators. The sets are defined once, in fragments/indicator_flags;
-- the whistle columns are numbers per case (whistles, summons), summed.
WITH {{indicator_flags()}}
SELECT f.k, f.key,
       count(*) FILTER (WHERE f.reported) AS reported,
       count(*) FILTER (WHERE f.accepted) AS accepted,
       count(*) FILTER (WHERE f.filed) AS filed,
       count(*) FILTER (WHERE f.accepted_filed) AS accepted_filed,
       count(*) FILTER (WHERE f.filed_on_time) AS filed_on_time,
       count(*) FILTER (WHERE f.dispatched) AS dispatched,
       count(*) FILTER (WHERE f.returned) AS returned,
       count(*) FILTER (WHERE f.dispatched_right) AS dispatched_right,
       count(*) FILTER (WHERE f.due_handling) AS due_handling,
       count(*) FILTER (WHERE f.handled) AS handled,
       count(*) FILTER (WHERE f.handled_on_time) AS handled_on_time,
       count(*) FILTER (WHERE f.delayed) AS delayed,
       count(*) FILTER (WHERE f.overdue_open) AS overdue_open,
       count(*) FILTER (WHERE f.due_closing) AS due_closing,
       count(*) FILTER (WHERE f.closed) AS closed,
       count(*) FILTER (WHERE f.closed_on_time) AS closed_on_time,
       count(*) FILTER (WHERE f.reworked) AS reworked,
       count(*) FILTER (WHERE f.hung) AS hung,
       count(*) FILTER (WHERE f.evaluated) AS evaluated,
       count(*) FILTER (WHERE f.satisfied) AS satisfied,
       count(*) FILTER (WHERE f.closed_in) AS closed_in,
       count(*) FILTER (WHERE f.reopened) AS reopened,
       count(*) FILTER (WHERE f.closed_in_grid) AS closed_in_grid,
       count(*) FILTER (WHERE f.closed_in_township) AS closed_in_township,
       count(*) FILTER (WHERE f.closed_in_banner) AS closed_in_banner,
       count(*) FILTER (WHERE f.yellow_card) AS yellow_card,
       count(*) FILTER (WHERE f.red_card) AS red_card,
       count(*) FILTER (WHERE f.disputes_accepted) AS disputes_accepted,
       count(*) FILTER (WHERE f.disputes_settled) AS disputes_settled,
       count(*) FILTER (WHERE f.disputes_settled_local) AS disputes_settled_local,
       coalesce(sum(f.whistles), 0) AS whistles,
       coalesce(sum(f.checkins_required), 0) AS checkins_required,
       coalesce(sum(f.checkins_on_time), 0) AS checkins_on_time
FROM f
GROUP BY f.k, f.key
ORDER BY f.k, f.key
