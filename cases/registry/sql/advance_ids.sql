-- After rows were copied in with the ids given: each identity continues after the highest id.
SELECT setval(pg_get_serial_sequence('house', 'id'), (SELECT max(id) FROM house)),
       setval(pg_get_serial_sequence('household', 'id'), (SELECT max(id) FROM household)),
       setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))
