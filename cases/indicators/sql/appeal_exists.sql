-- Whether appeal :id exists (to tell "decided already" from "no such appeal").
SELECT a.outcome FROM score_appeal a WHERE a.id = :id
