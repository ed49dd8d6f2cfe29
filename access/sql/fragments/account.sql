-- @fragment account()
-- An account's columns as access.accounts.AccountRow holds them (department by code); the
-- statements that use it add their WHERE or ORDER BY.
SELECT a.id, a.username, a.display_name, a.role, a.area_code, d.code AS department_code,
       a.member_id, a.password_hash, a.active, a.tokens_valid_after
FROM account a LEFT JOIN department d ON d.id = a.department_id
