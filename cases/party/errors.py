"""Errors of the party members' room, under the workflow's (mapped in ``api/errors.py``)."""

from __future__ import annotations

from cases.errors import ActionNotAllowed


class PartyConflict(ActionNotAllowed):
    """The task or member is not in a state for this (claimed, confirmed, not registered,
    registered already): 409, ``details["state"]`` says which."""
