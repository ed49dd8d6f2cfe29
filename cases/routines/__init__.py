"""The routines of issue #16 (五坚持) and who covers whom (三全).

- :mod:`cases.routines.visits`: contacts (入户 / 电话 / 微信 / 偶遇) with households, by the
  member of the signed-in account, only inside their own area;
- :mod:`cases.routines.meetings`: grid meetings (半月碰一碰) and village councils (月底议一议)
  with the council's agenda filled from the month's reported matters;
- :mod:`cases.routines.coverage`: per micro-grid and rolled up, households, 认领率, 走访覆盖率,
  last contact, overdue and uncovered micro-grids (the rule: ``geo/sql/fragments/
  micro_grid_coverage.sql``);
- :mod:`cases.routines.cadence`: the member's "my area" (overdue households first) and
  :func:`~cases.routines.cadence.sweep_routines`, the supervision sweep's reminders.
"""
