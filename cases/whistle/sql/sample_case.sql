-- The sample case a row of whistles.csv names, by what the history file says of it: its
-- report time and the coordinates as sent.
SELECT code FROM incident
WHERE source = 'sample' AND reported_at = :reported_at AND raw_lon = :lon AND raw_lat = :lat
