-- @fragment live(a, g=:g)
-- The area aliased {a} lives in generation {g}: from its generation_low to its
-- generation_high, open-ended while it has not been retired (as MapIt's GenerationManager).
-- Every "live in generation g" test in the project is this one.
({a}.generation_low <= {g} AND ({a}.generation_high IS NULL OR {a}.generation_high >= {g}))
