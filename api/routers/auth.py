"""Signing in and out, refreshing tokens, and managing accounts and API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlalchemy import Connection

from access import accounts, audit
from access.accounts import AccountRow, Role
from api import tokens
from api.auth import AccountsAdmin, PrincipalDep, public
from api.deps import EngineDep, SettingsDep
from api.ratelimit import Limiter
from api.schemas import Error, Strict
from geo.errors import NotAuthenticated, NotFound
from geo.settings import Settings

router = APIRouter(tags=["auth"])


class Credentials(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=2048)


class LogoutIn(Strict):
    refresh_token: str | None = Field(default=None, max_length=2048)


class AccountOut(Strict):
    id: int
    username: str
    display_name: str
    role: Role
    role_label: str
    area_code: str | None = Field(description="The area the account sees; null: the banner.")
    department: str | None
    member_id: int | None


class TokensOut(Strict):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the access token is good for.")
    refresh_token: str
    refresh_expires_in: int
    account: AccountOut


class AccountIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str | None = Field(
        default=None,
        min_length=accounts.MIN_PASSWORD,
        max_length=256,
        description="Null: keys only.",
    )
    display_name: str | None = Field(default=None, max_length=100)
    role: Role
    area_code: str | None = Field(default=None, max_length=32, pattern=r"^\d+$")
    department: str | None = Field(default=None, max_length=16)
    member_id: int | None = Field(default=None, ge=1)


class ApiKeyIn(Strict):
    label: str = Field(default="", max_length=100)


class ApiKeyOut(Strict):
    api_key: str = Field(description="Shown once; send it as X-API-Key.")
    prefix: str


def account_out(account: AccountRow) -> AccountOut:
    return AccountOut.model_validate(accounts.account_view(account))


def limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


LimiterDep = Annotated[Limiter, Depends(limiter)]


def check_password(
    engine: Any, settings: Settings, limiter: Limiter, client: str | None, username: str, pw: str
) -> AccountRow:
    """The account for a user name and password, within the sign-in limits.

    Failed sign-ins count per user name and per client address (``login_rate``), so guessing
    stops after a few tries while the people of one office behind one gateway still sign in:
    every attempt, successful ones included, only counts against ``login_client_rate`` per
    client address, a ceiling far above a shift change."""
    where = client or "-"
    limiter.hit(settings.login_client_rate, "sign-in", "client", where)
    limiter.check(settings.login_rate, "login", "user", username)
    limiter.check(settings.login_rate, "login", "client", where)
    with engine.connect() as conn:
        account = accounts.find_account(conn, username=username)
    good = accounts.verify_password(pw, account.password_hash if account else None)
    if account is None or not good or not account.active:
        limiter.hit(settings.login_rate, "login", "user", username)
        limiter.hit(settings.login_rate, "login", "client", where)
        raise NotAuthenticated("wrong user name or password")
    return account


def issue_pair(
    engine: Any, settings: Settings, account: AccountRow, client: str | None
) -> TokensOut:
    access = tokens.issue(settings, account.id, "access")
    refresh = tokens.issue(settings, account.id, "refresh")
    with engine.begin() as conn:
        tokens.store_refresh(conn, account.id, refresh)
    return TokensOut(
        access_token=access.token,
        expires_in=access.lifetime_s,
        refresh_token=refresh.token,
        refresh_expires_in=refresh.lifetime_s,
        account=account_out(account),
    )


def _account_or_404(conn: Connection, account_id: int) -> AccountRow:
    account = accounts.find_account(conn, account_id=account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    return account


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/auth/login",
    response_model=TokensOut,
    responses={401: {"model": Error}, 429: {"model": Error}},
    summary="登录：用户名和密码换取访问令牌和刷新令牌",
)
@public
def login(
    body: Credentials, request: Request, engine: EngineDep, settings: SettingsDep, lim: LimiterDep
) -> TokensOut:
    client = _client(request)
    account = check_password(engine, settings, lim, client, body.username, body.password)
    return issue_pair(engine, settings, account, client)


@router.post(
    "/auth/refresh",
    response_model=TokensOut,
    responses={401: {"model": Error}},
    summary="刷新令牌：换一对新令牌（旧刷新令牌作废）",
)
@public
def refresh(
    body: RefreshIn, request: Request, engine: EngineDep, settings: SettingsDep
) -> TokensOut:
    claims = tokens.decode(settings, body.refresh_token, ("refresh",))
    with engine.begin() as conn:
        fresh = tokens.use_refresh(conn, claims)
        account = accounts.find_account(conn, account_id=int(claims["sub"]))
    if not fresh:
        raise NotAuthenticated("the refresh token was already used or revoked; sign in again")
    if account is None or not account.active:
        raise NotAuthenticated("the account is disabled")
    if claims["iat"] < account.tokens_valid_after.timestamp():
        raise NotAuthenticated("the refresh token has been revoked; sign in again")
    return issue_pair(engine, settings, account, _client(request))


@router.post(
    "/auth/logout",
    status_code=204,
    responses={401: {"model": Error}},
    summary="退出：当前令牌（和所给的刷新令牌）立即作废",
)
def logout(
    principal: PrincipalDep, engine: EngineDep, settings: SettingsDep, body: LogoutIn | None = None
) -> None:
    with engine.begin() as conn:
        if principal.claims is not None:
            tokens.revoke(conn, principal.claims)
        if body is not None and body.refresh_token:
            try:
                claims = tokens.decode(settings, body.refresh_token, ("refresh",))
            except NotAuthenticated:
                return
            if claims["sub"] == str(principal.account_id):
                tokens.revoke_refresh(conn, claims["jti"])


@router.get("/auth/me", response_model=AccountOut, summary="当前登录的账号、角色和范围")
def me(principal: PrincipalDep, engine: EngineDep) -> AccountOut:
    with engine.connect() as conn:
        account = accounts.find_account(conn, account_id=principal.account_id)
    assert account is not None
    return account_out(account)


@router.get("/accounts", response_model=list[AccountOut], summary="账号列表（管理员）")
def list_accounts(admin: AccountsAdmin, engine: EngineDep) -> list[AccountOut]:
    with engine.connect() as conn:
        return [account_out(a) for a in accounts.all_accounts(conn)]


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountOut,
    responses={422: {"model": Error}},
    summary="新建账号（管理员）",
)
def create_account(body: AccountIn, admin: AccountsAdmin, engine: EngineDep) -> AccountOut:
    with engine.begin() as conn:
        account = accounts.open_account(
            conn,
            admin.actor,
            username=body.username,
            password=body.password,
            role=body.role,
            display_name=body.display_name,
            area_code=body.area_code,
            department=body.department,
            member_id=body.member_id,
        )
    return account_out(account)


@router.post(
    "/accounts/{account_id}/sign-out",
    status_code=204,
    responses={404: {"model": Error}},
    summary="让账号在所有设备上退出（管理员）",
)
def sign_out_account(account_id: int, admin: AccountsAdmin, engine: EngineDep) -> None:
    with engine.begin() as conn:
        _account_or_404(conn, account_id)
        tokens.sign_out_everywhere(conn, account_id)
        audit.record(conn, admin.actor, "account.sign_out", "account", account_id)


@router.post(
    "/accounts/{account_id}/api-keys",
    status_code=201,
    response_model=ApiKeyOut,
    responses={404: {"model": Error}},
    summary="为账号签发 API 密钥（管理员；只显示一次）",
)
def create_api_key(
    account_id: int, admin: AccountsAdmin, engine: EngineDep, body: ApiKeyIn | None = None
) -> ApiKeyOut:
    with engine.begin() as conn:
        _account_or_404(conn, account_id)
        key = accounts.issue_api_key(conn, admin.actor, account_id, body.label if body else "")
    return ApiKeyOut(api_key=key, prefix=accounts.key_prefix(key))


@router.delete(
    "/api-keys/{prefix}",
    status_code=204,
    responses={404: {"model": Error}},
    summary="吊销 API 密钥（管理员）",
)
def revoke_api_key(prefix: str, admin: AccountsAdmin, engine: EngineDep) -> None:
    with engine.begin() as conn:
        accounts.revoke_api_key(conn, prefix)
        audit.record(conn, admin.actor, "api_key.revoke", "api_key", prefix)
