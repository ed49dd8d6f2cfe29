-- @fragment cql2_filter()
-- Where an OGC API items statement applies the client's CQL2 filter (OGC API - Features
-- Part 3): TRUE as written; geo/ogc_filter.py replaces this exact text with the condition it
-- built from the filter (queryables' SQL expressions, values as bound :cql2_N parameters).
TRUE /* cql2_filter */
