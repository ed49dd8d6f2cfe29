-- A department leaves: early when the whistle is still open (事不完、人不撤).
UPDATE whistle_department SET left_at = :at, left_early = :early
WHERE whistle_id = :whistle_id AND department_id = :department_id
