"""Boundary plans (规划方案): a draft copy of one scope's areas, edited, checked and published.

- ``drafts``: create, list, snapshot and read drafts; ``models``: their tables; ``errors``.
- ``edits``: draw, reshape, split, merge and delete draft areas; ``upload``: replace a level
  from a desktop-GIS file.
- ``check``: the topology gate and its repairs on a draft; ``apply``: write a draft as the next
  generation of areas (the people and incidents that follow live in ``cases.redraw``).
"""
