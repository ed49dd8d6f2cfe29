"""Errors of the incident workflow, under the domain's root exception."""

from __future__ import annotations

from geo.errors import InvalidInput, WanggeError
from geo.plans.errors import Detailed, VersionConflict, VersionRequired


class IdempotencyKeyMissing(InvalidInput):
    """A write that must be safe to retry came without its ``Idempotency-Key``."""


class IdempotencyKeyReused(InvalidInput):
    """The key was already used for a different request body."""


class IdempotencyInProgress(WanggeError):
    """The first request with this key is still being processed; retry shortly."""


class ActionNotAllowed(Detailed):
    """The case's state does not allow this action; ``details`` names the state and the
    actions the caller may take in it (``status``, ``allowed``)."""


class StaleVersion(VersionConflict):
    """The case changed since the caller read it; ``details["version"]`` is the current one."""


class VersionMissing(VersionRequired):
    """An action came without ``If-Match`` naming the version it was based on."""
