"""Bulk import of incidents from CSV, GeoJSON and GeoPackage: ``rows`` checks each row,
``write`` places, routes and writes the accepted ones, ``importer`` runs the lot in one
transaction."""
