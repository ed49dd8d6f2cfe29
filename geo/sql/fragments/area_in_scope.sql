-- @fragment area_in_scope(code)
-- The area code column {code} lies inside the caller's scope (geo.scope.Scope): codes are
-- hierarchical, so an area is inside when its code begins with :scope_prefix; a null
-- :scope_prefix is the whole banner.
(CAST(:scope_prefix AS text) IS NULL OR left({code}, length(:scope_prefix)) = :scope_prefix)
