"""Signed tokens (JWT, HS256 only): short access tokens, rotating refresh tokens, page sessions.

Every token carries ``sub`` (the account id), ``typ``, a unique ``jti``, ``iat`` and ``exp``.
Decoding accepts HS256 alone, so ``alg=none`` and algorithm-confusion tokens fail. A token is
good while its signature holds, it has not expired, its ``jti`` is not revoked and it was
issued after the account's ``tokens_valid_after``.

The rows that make a token fail early (revoked ids, refresh tokens, an account's sign-out
time) are kept by :mod:`access.tokens`. Checking them takes a database read, so the account
a token was last found good for is kept for :data:`VERIFIED_TTL_S` seconds (:func:`recall`).
Revoking the token or signing its account out in this process drops it at once and keeps it
from being kept again for as long; a change made by another process (another worker, the
CLI) takes effect within that time.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from sqlalchemy import Connection

from access import tokens as store
from geo.errors import NotAuthenticated
from geo.settings import Settings

ALGORITHM = "HS256"
ISSUER = "wangge"
Kind = Literal["access", "refresh", "session"]


@dataclass(frozen=True)
class Issued:
    token: str
    jti: str
    expires_at: datetime
    lifetime_s: int


def _lifetime(settings: Settings, kind: Kind) -> timedelta:
    if kind == "access":
        return timedelta(minutes=settings.access_token_minutes)
    if kind == "refresh":
        return timedelta(days=settings.refresh_token_days)
    return timedelta(hours=settings.session_hours)


def issue(settings: Settings, account_id: int, kind: Kind) -> Issued:
    """Sign a new token; refresh tokens must then be stored with :func:`store_refresh`."""
    now = time.time()
    lifetime = _lifetime(settings, kind)
    jti = secrets.token_urlsafe(16)
    exp = int(now + lifetime.total_seconds())
    claims = {
        "iss": ISSUER,
        "sub": str(account_id),
        "typ": kind,
        "jti": jti,
        "iat": now,
        "exp": exp,
    }
    token = jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)
    expires = datetime.fromtimestamp(exp, UTC)
    return Issued(token, jti, expires, int(lifetime.total_seconds()))


#: Tokens whose signature held, with their claims: a client sends the same token with every
#: request, and checking an HMAC over base64 and JSON costs more than the rest of the
#: authentication. Only the signature is remembered; expiry is checked on every use.
SIGNED_KEPT = 4096
_signed: dict[tuple[str, str], dict[str, Any]] = {}


def decode(settings: Settings, token: str, kinds: tuple[Kind, ...]) -> dict[str, Any]:
    """The claims of a valid token of one of ``kinds``; NotAuthenticated says what is wrong."""
    claims = _signed.get((settings.secret_key, token))
    if claims is None:
        claims = _verified_claims(settings, token)
    elif claims["exp"] <= time.time():  # PyJWT's rule, without leeway
        raise NotAuthenticated("the token has expired; sign in again")
    if claims["typ"] not in kinds:
        raise NotAuthenticated(f"a {claims['typ']} token cannot be used here")
    if not str(claims["sub"]).isdigit():
        raise NotAuthenticated("the token is not valid")
    return claims


def _verified_claims(settings: Settings, token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "typ", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthenticated("the token has expired; sign in again") from None
    except jwt.InvalidTokenError:
        raise NotAuthenticated("the token is not valid") from None
    if len(_signed) >= SIGNED_KEPT:
        _signed.clear()  # a bound, not a cache policy: the next requests sign them in again
    _signed[(settings.secret_key, token)] = claims
    return claims


def is_revoked(conn: Connection, jti: str) -> bool:
    return store.is_revoked(conn, jti)


#: How long the account a token was found good for is reused without a database read.
VERIFIED_TTL_S = 2.0
_verified: dict[str, tuple[float, int, Any]] = {}  # jti -> (good until, account id, account)
_held: dict[str | int, float] = {}  # a revoked jti or signed-out account id -> not kept until
_lock = threading.Lock()


def recall(jti: str) -> Any | None:
    """The account :func:`remember` kept for ``jti``, if it is still fresh."""
    found = _verified.get(jti)
    if found is None or found[0] < time.monotonic():
        return None
    return found[2]


def remember(jti: str, account_id: int, account: Any, *, checked_at: float) -> None:
    """Keep ``account`` as what ``jti`` speaks for, as read at ``checked_at`` (monotonic);
    not if the token or the account was revoked since."""
    with _lock:
        if max(_held.get(jti, 0.0), _held.get(account_id, 0.0)) >= checked_at:
            return
        if len(_verified) > 10_000:
            now = time.monotonic()
            for key in [k for k, v in _verified.items() if v[0] < now]:
                del _verified[key]
        _verified[jti] = (checked_at + VERIFIED_TTL_S, account_id, account)


def _forget(jti: str | None = None, account_id: int | None = None) -> None:
    """Drop what is kept for ``jti`` or every token of ``account_id``, and keep nothing for
    them until any transaction revoking them has surely committed."""
    with _lock:
        until = time.monotonic() + VERIFIED_TTL_S
        if jti is not None:
            _verified.pop(jti, None)
            _held[jti] = until
        if account_id is not None:
            for key in [k for k, v in _verified.items() if v[1] == account_id]:
                del _verified[key]
            _held[account_id] = until
        now = time.monotonic()
        for held in [k for k, v in _held.items() if v < now]:
            del _held[held]


def revoke(conn: Connection, claims: dict[str, Any]) -> None:
    """Void one access or session token until it would have expired anyway."""
    _forget(jti=claims["jti"])
    store.revoke(conn, claims["jti"], claims["exp"])


def store_refresh(conn: Connection, account_id: int, issued: Issued) -> None:
    store.store_refresh(conn, account_id, issued.jti, issued.expires_at)


def use_refresh(conn: Connection, claims: dict[str, Any]) -> bool:
    """Spend a refresh token once; False if it was spent or revoked already. Re-using a
    spent one also revokes every token of the account, since someone holds a copy
    (RFC 6819 §5.2.2.3): the caller must commit before refusing."""
    if store.spend_refresh(conn, claims["jti"]):
        return True
    owner = store.refresh_owner(conn, claims["jti"])
    if owner is not None:
        sign_out_everywhere(conn, owner)
    return False


def revoke_refresh(conn: Connection, jti: str) -> None:
    store.revoke_refresh(conn, jti)


def sign_out_everywhere(conn: Connection, account_id: int) -> None:
    _forget(account_id=account_id)
    store.sign_out_everywhere(conn, account_id)


def purge_expired(conn: Connection) -> int:
    """Forget revoked and refresh token ids past their expiry (they fail on ``exp`` anyway)."""
    return store.purge_expired(conn)
