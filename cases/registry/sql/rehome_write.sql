-- Write the new micro-grids of registry_rehome (what, id, micro_grid_id) back.
UPDATE house h SET micro_grid_id = r.micro_grid_id
FROM registry_rehome r WHERE r.what = 'house' AND h.id = r.id;
UPDATE facility f SET micro_grid_id = r.micro_grid_id
FROM registry_rehome r WHERE r.what = 'facility' AND f.id = r.id;
UPDATE organisation o SET micro_grid_id = r.micro_grid_id
FROM registry_rehome r WHERE r.what = 'organisation' AND o.id = r.id;
