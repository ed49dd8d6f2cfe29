"""Files in and out of desktop GIS: point files (``pointfile``), uploaded boundary files
(``boundaries``) and exports of a level's areas (``export``)."""
