"""Errors of the incident workflow, under the domain's root exception."""

from __future__ import annotations

from geo.errors import InvalidInput, WanggeError


class IdempotencyKeyMissing(InvalidInput):
    """A write that must be safe to retry came without its ``Idempotency-Key``."""


class IdempotencyKeyReused(InvalidInput):
    """The key was already used for a different request body."""


class IdempotencyInProgress(WanggeError):
    """The first request with this key is still being processed; retry shortly."""
