-- @fragment area_seen_in_scope(code)
-- The area code column {code} is one the caller may see (geo.scope.Scope.sees): inside the
-- scope, or one of the areas holding it (a party member's micro-grid sees its village, whose
-- tasks and ranking it takes part in). A null :scope_prefix is the whole banner.
({{area_in_scope({code})}} OR left(CAST(:scope_prefix AS text), length({code})) = {code})
