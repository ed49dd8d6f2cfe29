"""The map pages: folium maps over the API, with every script, style and font served locally."""
