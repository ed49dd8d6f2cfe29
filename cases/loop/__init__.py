"""The closed loop (issue #13, WORKFLOW.md §1): cases move from report to evaluation.

- :mod:`cases.loop.table`: the transition table as data (who may take which action from which
  state, what it needs and what it sets);
- :mod:`cases.loop.actions`: :func:`~cases.loop.actions.apply`, one action in one transaction,
  its outcome :func:`cases.loop.replay.advance`'s (the sample's replay uses it too);
- :mod:`cases.loop.escalation`: escalation by level, skip rules (category × urgency → target
  level, with a copy list) and a dispute's skip reasons;
- :mod:`cases.loop.calendar`, :mod:`cases.loop.limits`, :mod:`cases.loop.supervision`: the
  working-day calendar, the time limits and the supervision sweep;
- :mod:`cases.loop.attachments`: photos and files on actions.
"""
