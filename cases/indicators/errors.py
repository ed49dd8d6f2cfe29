"""Errors of the indicators room (``api/errors.py`` maps them)."""

from __future__ import annotations

from geo.errors import WanggeError


class AlreadyDone(WanggeError):
    """The write was done before and is done once only: a quarter's ranking published, a
    case scored for a department, an appeal decided (409)."""
