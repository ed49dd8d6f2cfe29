-- Every tag kind: label, mark, cadence.
SELECT tag, label, mark, visit_every_days FROM tag_kind ORDER BY tag
