-- Person :id's tags.
SELECT tag FROM person_tag WHERE person_id = :id ORDER BY tag
