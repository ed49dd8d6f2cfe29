-- The sample's organisations from the temp table registry_organisation_in; the point is
-- optional (an organisation known by address only).
INSERT INTO organisation (code, name, address, kind, key_unit, party_members, legal_person,
                          contact_phone, geom, micro_grid_id)
SELECT code, name, address, kind, coalesce(key_unit, false), party_members, legal_person,
       contact_phone,
       CASE WHEN lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4490) END,
       micro_grid_id
FROM registry_organisation_in
ORDER BY code
