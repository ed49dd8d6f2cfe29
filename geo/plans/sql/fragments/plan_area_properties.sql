-- @fragment plan_area_properties()
-- The properties of a draft area as its Feature carries them, in /api/v1/plans and in the
-- plan collections of /ogc alike: `pa` is the plan_area row, `st` its status (fragment
-- plan_status), `s` the area it copies and `a` the area it became at publication.
json_build_object(
    'ref', pa.ref,
    'name', pa.name,
    'level', pa.level,
    'kind', pa.kind,
    'parent_ref', pa.parent_ref,
    'version', pa.version,
    'status', st.status,
    'source_code', s.code,
    'code', a.code,
    'area_km2', round((ST_Area(pa.geom::geography) / 1e6)::numeric, 4))
