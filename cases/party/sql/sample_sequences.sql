-- After rows with explicit ids: the identity sequences continue past the highest one.
SELECT setval(pg_get_serial_sequence('party_task', 'id'),
              greatest((SELECT max(id) FROM party_task), 1)),
       setval(pg_get_serial_sequence('party_claim', 'id'),
              greatest((SELECT max(id) FROM party_claim), 1))
