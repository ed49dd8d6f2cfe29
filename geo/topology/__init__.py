"""The topology gate: one check for every layout of child areas under a parent.

Drafts, uploaded boundary files and the sample data all pass through :func:`check_layout`.
A layout passes when its children partition the parent: every geometry is a valid, non-empty
(Multi)Polygon, codes are unique, every child lies inside the parent, no two children share
any area (containment included), no gap inside the parent is larger than
``gap_tolerance_m2``, and every edge two children (or a child and the parent) share carries
the same vertices on both sides. Each :class:`Problem` says what is wrong and *where*: the
overlap, the gap, the part outside, the point GEOS names for an invalid geometry, or the edge
segments that should be shared and are not.

So that one fault is reported once:

* An invalid child is reported as ``invalid`` and then stands in for the other checks by its
  ``make_valid(method="structure")`` repair, the one :func:`suggest_repairs` offers; a child
  that is empty or not polygonal takes no further part.
* Overlaps and parts outside the parent count above :data:`AREA_RESOLUTION_M2` (1 cm², under
  the ~1 cm precision of 7-decimal coordinates), gaps above ``gap_tolerance_m2``.
* Every other break of vertex-for-vertex sharing is an ``edge_mismatch``
  (:func:`geo.topology.coverage.unmatched_edges`), with the edges of gaps narrower than
  :data:`NARROW_GAP_M` flagged and the edges bounding a reported area left out.

Repairs are offered, never applied by the gate: :func:`suggest_repairs` proposes a
``make_valid`` for each invalid geometry and a ``snap`` for each child whose edges can be
brought onto its neighbours' and the parent's within a tolerance; :func:`apply_repairs`
applies the ones a planner accepts.

Examples
--------
>>> from shapely import box
>>> a = Unit("01", "甲", box(110.0, 40.0, 110.001, 40.001))
>>> b = Unit("02", "乙", box(110.0005, 40.0, 110.002, 40.001))
>>> [(p.kind, p.codes, round(p.area_m2)) for p in check_layout([a, b], None)]
[('overlap', ('01', '02'), 4741)]
"""

from geo.topology.gate import AREA_RESOLUTION_M2, KINDS, NARROW_GAP_M, Problem, Unit, check_layout
from geo.topology.repairs import Repair, apply_repairs, suggest_repairs

__all__ = [
    "AREA_RESOLUTION_M2",
    "KINDS",
    "NARROW_GAP_M",
    "Problem",
    "Repair",
    "Unit",
    "apply_repairs",
    "check_layout",
    "suggest_repairs",
]
