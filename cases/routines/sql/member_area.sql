-- The area code of member :id (the area they serve), or no row.
SELECT a.code FROM member m JOIN area a ON a.id = m.area_id WHERE m.id = :id
