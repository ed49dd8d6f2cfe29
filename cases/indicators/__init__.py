"""Indicators, scores and rankings (WORKFLOW.md §2 and §4, issue #15).

Every figure is computed from the trail (``incident_event``): the registry
(:mod:`cases.indicators.registry`) names each indicator, its label and formula and the
columns of ONE statement (``sql/indicator_counts.sql``) that count its numerator and
denominator; :mod:`cases.indicators.compute` runs it for a period, an area node with its
descendants and a department, and the rankings (:mod:`cases.indicators.rankings`) run the
same statement grouped by township, village or department.
"""
