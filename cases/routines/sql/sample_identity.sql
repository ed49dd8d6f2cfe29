-- Contact ids continue after the sample's.
SELECT setval(pg_get_serial_sequence('contact', 'id'), coalesce(max(id), 0) + 1, false)
FROM contact
