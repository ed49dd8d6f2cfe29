-- @fragment whistle_in_scope(w)
-- The whistle aliased {w} is visible to the caller when the case's area (its code when blown)
-- lies inside the caller's area and, for department staff, when it summons the caller's
-- department or the caller blew it (a department blowing between departments); :whistler is
-- the caller's account name (null: none). Everyone else gets "does not exist".
{{area_in_scope({w}.area_code)}}
AND (EXISTS (SELECT 1 FROM whistle_department sd JOIN department sdd ON sdd.id = sd.department_id
             WHERE sd.whistle_id = {w}.id AND {{department_in_scope(sdd.code)}})
     OR {w}.blown_by = CAST(:whistler AS text))
