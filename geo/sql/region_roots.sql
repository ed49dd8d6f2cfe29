-- The names of the regions at the top (no parent): one province in the sample, Inner Mongolia.
SELECT name FROM region WHERE parent_code IS NULL ORDER BY code
