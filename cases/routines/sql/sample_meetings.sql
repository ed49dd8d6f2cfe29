-- The staged sample meetings, each in the live area of its code in generation :g; a
-- council's agenda is its month's reported matters in its village (as agenda.sql lists them,
-- China calendar month), a grid meeting's empty.
INSERT INTO meeting (kind, area_id, at, attendees, issues, decisions, agenda, account)
SELECT s.kind, a.id, s.at, to_jsonb(string_to_array(s.attendees, ';')), s.issues, s.decisions,
       CASE WHEN s.kind = 'grid_meeting' THEN '[]'::jsonb ELSE coalesce((
           SELECT jsonb_agg(jsonb_build_object('code', i.code, 'category', c.name,
                                               'status', i.status)
                            ORDER BY i.reported_at, i.code)
           FROM incident i
           JOIN area q ON q.id = i.queue_area_id
           JOIN category c ON c.code = i.category_code
           WHERE left(q.code, length(a.code)) = a.code
             AND i.reported_at >= date_trunc('month', s.at AT TIME ZONE 'Asia/Shanghai')
                                  AT TIME ZONE 'Asia/Shanghai'
             AND i.reported_at < (date_trunc('month', s.at AT TIME ZONE 'Asia/Shanghai')
                                  + interval '1 month') AT TIME ZONE 'Asia/Shanghai'
       ), '[]'::jsonb) END,
       'sample'
FROM meeting_stage s
JOIN area a ON a.code = s.area_code AND {{live(a)}}
