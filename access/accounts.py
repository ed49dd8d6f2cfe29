"""Accounts, roles and their scope; API keys; refresh tokens and revoked token ids.

Opening an account and issuing a key are audited as part of the operation
(:func:`open_account`, :func:`issue_api_key`): the CLI and the API write the same entry.
A role says what an account may do, its ``area_code`` and ``department_id`` where: the
scope the query layer filters by (:mod:`geo.scope`). Passwords are Argon2 hashes (pwdlib);
API keys are random 256-bit secrets stored as SHA-256 digests, looked up by their prefix.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Connection,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from access import audit
from access.sql import query
from geo.errors import InvalidInput, NotFound
from geo.models import Base, str_enum
from geo.scope import Scope


class Role(enum.StrEnum):
    ADMIN = "admin"
    COMMAND = "command"
    PLANNER = "planner"
    TOWNSHIP = "township"
    DEPARTMENT = "department"
    GRID_WORKER = "grid_worker"
    PARTY_MEMBER = "party_member"
    MEDIATOR = "mediator"


ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.COMMAND: "指挥中心",
    Role.PLANNER: "网格规划员",
    Role.TOWNSHIP: "苏木镇干部",
    Role.DEPARTMENT: "职能部门",
    Role.GRID_WORKER: "网格员",
    Role.PARTY_MEMBER: "党员中心户",
    Role.MEDIATOR: "调解员",
}


class Permission(enum.StrEnum):
    """What a route asks of its caller (besides being inside the scope)."""

    READ = "read"  # areas, people, incidents, maps, tiles, heat inside the scope
    REPORT = "report"  # file an incident
    IMPORT = "import"  # load historical incidents from a file
    ROUTING = "routing"  # edit the routing matrix
    PLAN = "plan"  # drafts: create, edit, check, preview
    PUBLISH = "publish"  # publish a plan as a new generation
    REVEAL = "reveal"  # see a full phone or ID number, with a reason, audited
    ACCOUNTS = "accounts"  # manage accounts and API keys
    MEDIATE = "mediate"  # open mediation files, record attempts, agreements, follow-up calls


_P = Permission
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.COMMAND: frozenset({_P.READ, _P.REVEAL, _P.MEDIATE}),
    Role.PLANNER: frozenset({_P.READ, _P.PLAN, _P.PUBLISH}),
    Role.TOWNSHIP: frozenset({_P.READ, _P.REPORT, _P.IMPORT, _P.REVEAL, _P.MEDIATE}),
    Role.DEPARTMENT: frozenset({_P.READ, _P.REPORT, _P.REVEAL}),
    Role.GRID_WORKER: frozenset({_P.READ, _P.REPORT, _P.REVEAL, _P.MEDIATE}),
    Role.PARTY_MEMBER: frozenset({_P.READ, _P.REPORT}),
    Role.MEDIATOR: frozenset({_P.READ, _P.REPORT, _P.MEDIATE}),
}

#: The area level each role's ``area_code`` must be at (None: everything the service holds;
#: ``province`` and ``city`` are regions above the county-level units, see :mod:`geo.places`).
SCOPE_LEVELS: dict[Role, tuple[str | None, ...]] = {
    Role.ADMIN: (None,),
    Role.COMMAND: (None, "province", "city", "banner"),
    Role.PLANNER: (None, "banner", "township"),
    Role.TOWNSHIP: ("township", "village"),  # a village-scoped account holds at its village
    Role.DEPARTMENT: (None,),
    Role.GRID_WORKER: ("grid",),
    Role.PARTY_MEMBER: ("micro_grid",),
    Role.MEDIATOR: ("village", "township", None),  # the committee of a village, township, banner
}


class Account(Base):
    """Someone who signs in, or a machine client holding API keys."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(
            "(role = 'department') = (department_id IS NOT NULL)", name="department_has_one"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[Role] = mapped_column(str_enum(Role, "account_role"))
    area_code: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    #: Tokens issued before this instant are void (sign-out everywhere, password change).
    tokens_valid_after: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiKey(Base):
    """A machine client's key: ``wg_<prefix>_<secret>``; only the digest is kept."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(Base):
    """An issued refresh token (by its id); using it once replaces it (rotation)."""

    __tablename__ = "refresh_token"
    __table_args__ = (Index("ix_refresh_token_expires_at", "expires_at"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RevokedToken(Base):
    """An access or session token signed out before it expired."""

    __tablename__ = "revoked_token"
    __table_args__ = (Index("ix_revoked_token_expires_at", "expires_at"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


_hasher = PasswordHash.recommended()  # Argon2id with pwdlib's parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the account exists (a dummy hash when there is none)."""
    return _hasher.verify(password, password_hash or _DUMMY_HASH) and password_hash is not None


_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD = 10


@dataclass(frozen=True)
class AccountRow:
    id: int
    username: str
    display_name: str
    role: Role
    area_code: str | None
    department_code: str | None
    member_id: int | None
    password_hash: str | None
    active: bool
    tokens_valid_after: datetime

    @property
    def scope(self) -> Scope:
        return Scope(area_prefix=self.area_code, department=self.department_code)

    @property
    def permissions(self) -> frozenset[Permission]:
        return PERMISSIONS[self.role]


def account_row(mapping: Mapping[Any, Any]) -> AccountRow:
    """An :class:`AccountRow` from a result row's mapping (other columns are ignored)."""
    values = {name: mapping[name] for name in AccountRow.__dataclass_fields__}
    return AccountRow(**{**values, "role": Role(values["role"])})


def find_account(
    conn: Connection, *, username: str | None = None, account_id: int | None = None
) -> AccountRow | None:
    """The account by name or id, or None."""
    if username is not None:
        row = conn.execute(query("account_by_name"), {"username": username}).first()
    else:
        row = conn.execute(query("account_by_id"), {"id": account_id}).first()
    return account_row(row._mapping) if row is not None else None


def create_account(
    conn: Connection,
    *,
    username: str,
    password: str | None,
    role: Role | str,
    display_name: str | None = None,
    area_code: str | None = None,
    department: str | None = None,
    member_id: int | None = None,
) -> AccountRow:
    """Create an account after checking its role's scope; raises InvalidInput naming the field."""
    role = _role(role)
    username = username.strip()
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise InvalidInput("username", "1–64 printable characters without spaces")
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput("password", f"at least {MIN_PASSWORD} characters")
    if conn.execute(text("SELECT 1 FROM account WHERE username = :u"), {"u": username}).first():
        raise InvalidInput("username", f"{username!r} is already taken")
    _check_scope(conn, role, area_code)
    department_id = None
    if role is Role.DEPARTMENT:
        if not department:
            raise InvalidInput("department", "department staff need a department code, e.g. D02")
        department_id = conn.execute(
            text("SELECT id FROM department WHERE code = :c"), {"c": department}
        ).scalar_one_or_none()
        if department_id is None:
            raise InvalidInput("department", f"no department {department!r}")
    elif department:
        raise InvalidInput("department", f"only department staff have one, not {role.value}")
    new_id = conn.execute(
        text(
            "INSERT INTO account (username, display_name, password_hash, role, area_code, "
            "department_id, member_id) VALUES (:u, :n, :h, :r, :a, :d, :m) RETURNING id"
        ),
        {
            "u": username,
            "n": display_name or username,
            "h": hash_password(password) if password is not None else None,
            "r": role.value,
            "a": area_code,
            "d": department_id,
            "m": member_id,
        },
    ).scalar_one()
    found = find_account(conn, account_id=new_id)
    assert found is not None
    return found


def account_view(account: AccountRow) -> dict[str, Any]:
    """An account as clients see it and as the audit trail records it (no password hash)."""
    return {
        "id": account.id,
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role.value,
        "role_label": ROLE_LABELS[account.role],
        "area_code": account.area_code,
        "department": account.department_code,
        "member_id": account.member_id,
    }


def open_account(conn: Connection, actor: audit.Actor, **fields: Any) -> AccountRow:
    """:func:`create_account` with ``fields``, and its ``account.create`` audit entry (the
    new account's :func:`account_view` as ``after``), in the caller's transaction."""
    account = create_account(conn, **fields)
    audit.record(conn, actor, "account.create", "account", account.id, after=account_view(account))
    return account


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput("role", f"unknown role {role!r}; expected one of {choices}") from None


def _check_scope(conn: Connection, role: Role, area_code: str | None) -> None:
    levels = SCOPE_LEVELS[role]
    if area_code is None:
        if None not in levels:
            wanted = " or ".join(str(level) for level in levels)
            raise InvalidInput("area", f"a {role.value} account needs the code of its {wanted}")
        return
    level = conn.execute(query("scope_level"), {"c": area_code}).scalar_one_or_none()
    if level is None:
        raise InvalidInput("area", f"no current area with code {area_code!r}")
    if level not in levels:
        allowed = ", ".join("the banner" if x is None else x for x in levels)
        raise InvalidInput("area", f"a {role.value} serves {allowed}; {area_code} is a {level}")


API_KEY_PREFIX = "wg_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(conn: Connection, account_id: int, label: str = "") -> str:
    """A new key for the account; the only time its full text is known."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    conn.execute(
        text("INSERT INTO api_key (account_id, prefix, digest, label) VALUES (:a, :p, :d, :l)"),
        {"a": account_id, "p": prefix, "d": _digest(secret), "l": label},
    )
    return f"{API_KEY_PREFIX}{prefix}_{secret}"


def issue_api_key(conn: Connection, actor: audit.Actor, account_id: int, label: str = "") -> str:
    """:func:`create_api_key` and its ``api_key.create`` audit entry (the key's prefix, the
    account as ``after``), in the caller's transaction."""
    key = create_api_key(conn, account_id, label)
    audit.record(
        conn, actor, "api_key.create", "api_key", key_prefix(key), after={"account": account_id}
    )
    return key


def account_for_api_key(conn: Connection, key: str) -> AccountRow | None:
    """The active account holding this unrevoked key, or None."""
    if not key.startswith(API_KEY_PREFIX) or key.count("_") < 2:
        return None
    prefix, _, secret = key[len(API_KEY_PREFIX) :].partition("_")
    row = conn.execute(
        text("SELECT account_id, digest FROM api_key WHERE prefix = :p AND revoked_at IS NULL"),
        {"p": prefix},
    ).first()
    if row is None or not secrets.compare_digest(row.digest, _digest(secret)):
        return None
    account = find_account(conn, account_id=row.account_id)
    return account if account is not None and account.active else None


def key_prefix(key: str) -> str:
    """The public part of a key, by which it is listed and revoked."""
    return key[len(API_KEY_PREFIX) :].partition("_")[0]


def all_accounts(conn: Connection) -> list[AccountRow]:
    return [account_row(r._mapping) for r in conn.execute(query("accounts"))]


def revoke_api_key(conn: Connection, prefix: str) -> None:
    updated = conn.execute(
        text("UPDATE api_key SET revoked_at = now() WHERE prefix = :p AND revoked_at IS NULL"),
        {"p": prefix},
    ).rowcount
    if not updated:
        raise NotFound(f"no active API key {prefix}")


#: The demo accounts' shared password: development only (see :func:`ensure_demo_accounts`).
DEMO_PASSWORD = "wangge-demo-2026"
DEMO_TOWNSHIP = "150621001"  # 树林召镇
DEMO_BANNER = "150621"  # 达拉特旗: the command centre sees its own banner only
DEMO_PROVINCE = "15"  # 内蒙古自治区: the province account sees every place
DEMO_HAIBOWAN_TOWNSHIP = "150302101"  # 千里山镇 of 海勃湾区, the second place
DEMO_DEPARTMENT = "D02"  # 司法局: disputes (0101 邻里纠纷 …) are routed to it


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    area_code: str | None
    department: str | None
    member_id: int | None
    display_name: str


def demo_accounts(conn: Connection) -> list[DemoAccount]:
    """One account per role, nested so that each narrower scope lies inside the wider ones:
    the grid worker's grid and the party member's micro-grid are in the township officer's
    township, and each is the account of a real member of the sample data."""
    worker = conn.execute(
        text(
            "SELECT m.id, m.name, a.code FROM member m JOIN area a ON a.id = m.area_id "
            "WHERE m.kind = 'grid_worker' AND a.code LIKE :t || '%' AND a.generation_high IS NULL "
            "ORDER BY a.code LIMIT 1"
        ),
        {"t": DEMO_TOWNSHIP},
    ).one()
    party = conn.execute(
        text(
            "SELECT m.id, m.name, a.code FROM member m JOIN area a ON a.id = m.area_id "
            "WHERE m.kind = 'party_member' AND a.code LIKE :g || '%' "
            "AND a.generation_high IS NULL ORDER BY a.code LIMIT 1"
        ),
        {"g": worker.code},
    ).one()
    village = conn.execute(
        text(
            "SELECT code FROM area WHERE level = 'village' AND code LIKE :t || '%' "
            "AND generation_high IS NULL ORDER BY code LIMIT 1"
        ),
        {"t": DEMO_TOWNSHIP},
    ).scalar_one()
    return [
        DemoAccount("admin", Role.ADMIN, None, None, None, "系统管理员"),
        DemoAccount("command", Role.COMMAND, DEMO_BANNER, None, None, "旗指挥中心值班员"),
        DemoAccount("planner", Role.PLANNER, DEMO_BANNER, None, None, "旗网格规划员"),
        DemoAccount("township", Role.TOWNSHIP, DEMO_TOWNSHIP, None, None, "树林召镇综治干部"),
        DemoAccount("department", Role.DEPARTMENT, None, DEMO_DEPARTMENT, None, "司法局指导员"),
        DemoAccount("grid_worker", Role.GRID_WORKER, worker.code, None, worker.id, worker.name),
        DemoAccount("party_member", Role.PARTY_MEMBER, party.code, None, party.id, party.name),
        DemoAccount("mediator", Role.MEDIATOR, village, None, None, "村人民调解委员会调解员"),
    ]


#: Accounts of the places beyond Dalad: the province (both places) and a township officer of
#: Haibowan; made when their areas are loaded.
PLACE_DEMOS = (
    DemoAccount("province", Role.COMMAND, DEMO_PROVINCE, None, None, "自治区指挥中心值班员"),
    DemoAccount(
        "haibowan_township", Role.TOWNSHIP, DEMO_HAIBOWAN_TOWNSHIP, None, None, "千里山镇综治干部"
    ),
)


def _current(conn: Connection, code: str) -> bool:
    found = conn.execute(
        text("SELECT 1 FROM area WHERE code = :c AND generation_high IS NULL"), {"c": code}
    ).first()
    return found is not None


def demo_accounts_if_loaded(conn: Connection) -> list[DemoAccount]:
    """:func:`demo_accounts`, or none when the database does not hold the sample banner; with
    :data:`PLACE_DEMOS` when it holds Haibowan too."""
    if not _current(conn, DEMO_TOWNSHIP):
        return []
    extra = list(PLACE_DEMOS) if _current(conn, DEMO_HAIBOWAN_TOWNSHIP) else []
    return demo_accounts(conn) + extra


def ensure_demo_accounts(conn: Connection) -> list[DemoAccount]:
    """Create the demo accounts that are missing (password :data:`DEMO_PASSWORD`)."""
    demos = demo_accounts_if_loaded(conn)
    for demo in demos:
        if find_account(conn, username=demo.username) is None:
            create_account(
                conn,
                username=demo.username,
                password=DEMO_PASSWORD,
                role=demo.role,
                display_name=demo.display_name,
                area_code=demo.area_code,
                department=demo.department,
                member_id=demo.member_id,
            )
    return demos
