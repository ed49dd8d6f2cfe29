"""Errors of boundary plans: optimistic concurrency, conflicts and the topology gate.

Each carries what a client needs to recover in ``details`` (the current version, what was
published meanwhile, the problems found); the API adds it to the error body.
"""

from __future__ import annotations

from typing import Any

from geo.errors import InvalidInput, WanggeError


class Detailed(WanggeError):
    """An error whose body carries more than a message: ``details`` is merged into it."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class VersionRequired(InvalidInput):
    """An edit came without the version it was based on (``If-Match`` or ``version``).

    Examples
    --------
    >>> str(VersionRequired("If-Match", "send the version you edited", where="header"))
    'If-Match: send the version you edited'
    """


class VersionConflict(Detailed):
    """The draft area changed since the client read it: its version is no longer the one sent."""


class PlanConflict(Detailed):
    """The plan cannot do this in its state (published, scheduled, or its base is outdated)."""


class StaleBase(PlanConflict):
    """Generations were published after the plan's base generation; ``details`` says which."""


class TopologyRefused(Detailed):
    """The topology gate found problems; ``details["problems"]`` locates them."""


class CodeSpaceExhausted(PlanConflict):
    """No unused code is left under a parent (99 grids or micro-grids, 999 villages)."""
