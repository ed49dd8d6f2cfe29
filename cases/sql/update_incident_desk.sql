-- Point incident :id at a new desk (area chain, member, department) in generation :generation.
UPDATE incident
SET generation_id = :generation, micro_grid_id = :micro_grid, grid_id = :grid,
    village_id = :village, township_id = :township, queue_area_id = :queue,
    assignment = :assignment, assignment_distance_m = :distance, member_id = :member,
    department_id = :department
WHERE id = :id
