"""The 三二一 mediation ladder (issue #14, WORKFLOW.md §5): disputes climb village → township →
banner, 3 / 2 / 1 attempts, each rung's climb being the closed loop's ``escalate`` on the case.

- :mod:`cases.mediation.ladder`: the ladder's limits (data, table ``mediation_limit``) and its
  rules: which rung holds the dispute, when it must climb, who acts on which rung;
- :mod:`cases.mediation.common`: the checks, trail entry and climb every step shares;
- :mod:`cases.mediation.files`: the file (卷宗): intake, parties, agreement, follow-up call;
- :mod:`cases.mediation.views`: the file as its reader gets it;
- :mod:`cases.mediation.attempts`: an attempt on a rung and the climb it may cause;
- :mod:`cases.mediation.privacy`: who may read a file;
- :mod:`cases.mediation.stats`: success rates, time to settle, repeat disputes;
- :mod:`cases.mediation.sweep`: the reminders of the supervision sweep;
- :mod:`cases.mediation.sample`: the sample's files, loaded onto the sample's disputes.
"""
