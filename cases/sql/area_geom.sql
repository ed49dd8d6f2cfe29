-- The boundary of area :code in generation :g (none when it does not live then).
SELECT a.geom FROM area a WHERE a.code = :code AND {{live(a)}}
