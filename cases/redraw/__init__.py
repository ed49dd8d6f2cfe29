"""What follows a redraw of the grids: the ``impact`` a draft would have, its publication
(``publish``) and the re-assignment of open incidents (``reassign``)."""
