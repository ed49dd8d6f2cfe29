-- How many areas an area listing matches in all pages (area_features.sql without its page).
SELECT count(*) {{area_features_matching}}
