"""The domain's exceptions: one root, :class:`WanggeError`, and narrow subclasses.

The API maps each class to an HTTP status in one table (``api/errors.py``); code that
catches errors catches the narrowest class it can handle. A message is what a client may
read: it names the field or object that was wrong and never carries personal data.
"""

from __future__ import annotations


class WanggeError(Exception):
    """Root of every error the Wangge domain raises on purpose."""

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(WanggeError):
    """A client-supplied value is wrong; ``field`` says which one, ``problem`` says why.

    ``where`` names the part of the request holding the field (``"path"``, ``"query"``,
    ``"body"``, ``"header"``) when the raiser knows it; otherwise the API infers it.

    Examples
    --------
    >>> str(InvalidInput("lat", "is required"))
    'lat: is required'
    """

    def __init__(self, field: str, problem: str, *, where: str | None = None) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
        self.where = where


class InvalidFile(InvalidInput):
    """A file cannot be read as a whole: its format, encoding, columns, layers or CRS.

    Problems with single rows are not this error: importers report them row by row.

    Examples
    --------
    >>> str(InvalidFile("file", "is empty"))
    'file: is empty'
    """


class NotFound(WanggeError):
    """The named object does not exist (or is outside what the caller may see)."""


class OutsideCoverage(NotFound):
    """A point lies outside every micro-grid; names the nearest one and how far it is."""

    def __init__(self, message: str, *, nearest_code: str | None, distance_m: float | None):
        super().__init__(message)
        self.nearest_code = nearest_code
        self.distance_m = distance_m


class DatabaseSetupError(WanggeError):
    """The embedded PostgreSQL could not be prepared, started, attached to or stopped."""


class PostgresNotInstalled(DatabaseSetupError):
    """The PostgreSQL 15 binaries or the PostGIS extension files are missing.

    The message is one line that names the Debian package to install.
    """


class NotAuthenticated(WanggeError):
    """No credentials, or credentials that are expired, tampered with or revoked."""


class Forbidden(WanggeError):
    """The caller is known but their role may not do this (anywhere)."""


class RateLimited(WanggeError):
    """Too many requests of one kind from one caller; ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(WanggeError):
    """The service could not take this request now (it waited its limit for what others
    held); nothing was written: retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
