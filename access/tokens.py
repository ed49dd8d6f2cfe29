"""Where tokens are remembered: revoked token ids, refresh tokens, an account's sign-out time.

Signing and checking a token is :mod:`api.tokens`; this is its store, the few rows that make a
token fail before it expires. Every function runs inside the caller's transaction, so a
revocation that rolls back revokes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from access.sql import query


def is_revoked(conn: Connection, jti: str) -> bool:
    """Whether the token id ``jti`` has been revoked."""
    return conn.execute(query("token_revoked"), {"jti": jti}).first() is not None


def revoke(conn: Connection, jti: str, expires: int) -> None:
    """Void the token ``jti`` until ``expires`` (its ``exp``, seconds since the epoch)."""
    conn.execute(query("token_revoke"), {"jti": jti, "exp": expires})


def store_refresh(conn: Connection, account_id: int, jti: str, expires_at: datetime) -> None:
    """Remember a refresh token just issued, so that it can be spent once."""
    conn.execute(
        query("refresh_store"), {"jti": jti, "account_id": account_id, "expires_at": expires_at}
    )


def spend_refresh(conn: Connection, jti: str) -> bool:
    """Spend the refresh token ``jti``; False when it was spent or revoked already."""
    return conn.execute(query("refresh_spend"), {"jti": jti}).first() is not None


def refresh_owner(conn: Connection, jti: str) -> int | None:
    """The account the refresh token ``jti`` was issued to, if it was."""
    found = conn.execute(query("refresh_owner"), {"jti": jti}).first()
    return None if found is None else int(found.account_id)


def revoke_refresh(conn: Connection, jti: str) -> None:
    conn.execute(query("refresh_revoke"), {"jti": jti})


def sign_out_everywhere(conn: Connection, account_id: int) -> None:
    """Void every token of the account issued until now."""
    conn.execute(query("sign_out_everywhere"), {"account_id": account_id})


def purge_expired(conn: Connection) -> int:
    """Forget revoked and refresh token ids past their expiry; how many went."""
    return int(conn.execute(query("tokens_purge")).scalar_one())


def account_for_token(conn: Connection, account_id: int, jti: str) -> Any | None:
    """The account row (``access.accounts.account_row`` reads it) with ``revoked`` telling
    whether the token ``jti`` is revoked, or None when the account does not exist."""
    return conn.execute(query("account_for_token"), {"id": account_id, "jti": jti}).first()
