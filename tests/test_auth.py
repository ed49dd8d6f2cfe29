"""Accounts and tokens: sign-in, refresh with rotation, revocation, API keys, the page session.

Bad tokens of every kind (expired, tampered, signed with another key, ``alg=none``, the wrong
type) answer 401 with ``WWW-Authenticate``; revoked ones stop working at once.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from access.accounts import DEMO_PASSWORD, find_account
from api import tokens
from geo.settings import PLACEHOLDER_SECRET, Settings

ME = "/api/v1/auth/me"
LOGIN = "/api/v1/auth/login"
WANGGE = Path(sys.executable).parent / "wangge"


@pytest.fixture
def limiter(client):
    client.app.state.limiter.reset()
    yield client.app.state.limiter
    client.app.state.limiter.reset()


def login(anon, username, password=DEMO_PASSWORD):
    return anon.post(LOGIN, json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _claims(accounts, username="grid_worker", **changes):
    now = time.time()
    claims = {
        "iss": "wangge",
        "sub": str(accounts[username].id),
        "typ": "access",
        "jti": f"test-{now}",
        "iat": now,
        "exp": int(now) + 600,
    }
    return {**claims, **changes}


def _refused(anon, headers, why):
    answer = anon.get(ME, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="wangge"'
    assert answer.json()["detail"] == why
    return answer


def test_sign_in_answers_a_token_pair_and_the_account(anon, limiter, accounts):
    answer = login(anon, "township")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 24 * 60 * 60  # the tests' settings; 15 min by default
    assert body["refresh_expires_in"] == 7 * 24 * 60 * 60
    assert body["account"] == {
        "id": accounts["township"].id,
        "username": "township",
        "display_name": "树林召镇综治干部",
        "role": "township",
        "role_label": "苏木镇干部",
        "area_code": "150621001",
        "department": None,
        "member_id": None,
    }
    assert anon.get(ME, headers=bearer(body["access_token"])).json()["username"] == "township"


def test_wrong_password_and_unknown_user_are_the_same_401(anon, limiter):
    wrong = login(anon, "township", "not-the-password")
    nobody = login(anon, "nobody-at-all", "not-the-password")
    assert wrong.status_code == nobody.status_code == 401
    assert (
        wrong.json()
        == nobody.json()
        == {
            "detail": "wrong user name or password",
            "code": "unauthenticated",
            "errors": [],
        }
    )


def test_sign_in_body_rejects_unknown_fields(anon, limiter):
    answer = anon.post(
        LOGIN, json={"username": "admin", "password": DEMO_PASSWORD, "remember": True}
    )
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"where": "body", "field": "remember", "message": "Extra inputs are not permitted"}
    ]


def test_sign_in_is_rate_limited_per_user_name(anon, limiter):
    for _ in range(10):
        assert login(anon, "command", "wrong-password").status_code == 401
    answer = login(anon, "command")  # even the right password, past the limit
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert answer.json()["detail"].startswith("too many login requests: at most 10/minute")
    limiter.reset()
    assert login(anon, "command").status_code == 200


#: Eleven accounts with the demo password: the demo one of each role and four peers.
PEOPLE = ["admin", "command", "planner", "township", "department", "grid_worker"]
PEOPLE += ["party_member", "township_peer", "grid_worker_peer", "party_member_peer"]
PEOPLE += ["department_peer"]


def test_an_office_behind_one_address_signs_in_and_only_failures_are_limited(anon, limiter):
    """Eleven people of one command centre sign in through one gateway at the start of a
    shift; a guesser from that address is stopped at the eleventh failure."""
    assert len(PEOPLE) == 11
    assert [login(anon, who).status_code for who in PEOPLE] == [200] * 11
    failures = [login(anon, f"guess-{i}", "wrong-password").status_code for i in range(11)]
    assert failures == [401] * 10 + [429]
    assert login(anon, "command").status_code == 429  # the address is spent for a minute
    limiter.reset()
    assert login(anon, "command").status_code == 200


def test_sign_ins_of_any_outcome_have_a_far_higher_ceiling_per_address(anon, limiter):
    settings = anon.app.state.settings
    saved = settings.login_client_rate
    try:
        settings.login_client_rate = "3/minute"
        assert [login(anon, who).status_code for who in PEOPLE[:4]] == [200, 200, 200, 429]
    finally:
        settings.login_client_rate = saved
    assert saved == "300/minute"


def test_expired_token_is_401(anon, database, accounts):
    settings = Settings(database_url=database.url)
    token = jwt.encode(
        _claims(accounts, iat=time.time() - 3600, exp=int(time.time()) - 60),
        settings.secret_key,
        algorithm="HS256",
    )
    _refused(anon, bearer(token), "the token has expired; sign in again")


def test_a_token_accepted_before_is_refused_once_it_expires(anon, database, accounts):
    """The signature of a token is checked once (api.tokens remembers it); its expiry on
    every request."""
    settings = Settings(database_url=database.url)
    expires = int(time.time()) + 4
    token = jwt.encode(_claims(accounts, exp=expires), settings.secret_key, algorithm="HS256")
    assert anon.get(ME, headers=bearer(token)).status_code == 200
    assert anon.get(ME, headers=bearer(token)).status_code == 200
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    _refused(anon, bearer(token), "the token has expired; sign in again")


def test_tampered_token_is_401(anon, auth):
    token = auth("grid_worker")["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "1"  # pretend to be the admin
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    _refused(anon, bearer(f"{header}.{forged}.{signature}"), "the token is not valid")


def test_alg_none_token_is_401(anon, accounts):
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    body = json.dumps(_claims(accounts, sub=str(accounts["admin"].id))).encode()
    payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
    _refused(anon, bearer(f"{header}.{payload}."), "the token is not valid")


def test_token_signed_with_another_key_is_401(anon, accounts):
    token = jwt.encode(_claims(accounts), "another-key-" * 4, algorithm="HS256")
    _refused(anon, bearer(token), "the token is not valid")


def test_refresh_and_session_tokens_are_not_access_tokens(anon, database, accounts):
    settings = Settings(database_url=database.url)
    for kind in ("refresh", "session"):
        token = tokens.issue(settings, accounts["grid_worker"].id, kind).token
        _refused(anon, bearer(token), f"a {kind} token cannot be used here")


def test_malformed_authorization_is_401(anon):
    _refused(
        anon,
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        ("Authorization must be 'Bearer <access token>'"),
    )
    answer = anon.get(ME)
    assert answer.status_code == 401
    assert answer.json()["detail"] == (
        "sign in: send 'Authorization: Bearer <access token>' or an X-API-Key"
    )


def test_signed_out_token_stops_working(anon, limiter):
    pair = login(anon, "department").json()
    headers = bearer(pair["access_token"])
    assert anon.get(ME, headers=headers).status_code == 200
    logout = anon.post(
        "/api/v1/auth/logout", headers=headers, json={"refresh_token": pair["refresh_token"]}
    )
    assert logout.status_code == 204
    _refused(anon, headers, "the token has been revoked; sign in again")
    refused = anon.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401


def test_refresh_rotates_and_a_reused_refresh_token_revokes_everything(anon, limiter, engine):
    first = login(anon, "party_member").json()
    second = anon.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert anon.get(ME, headers=bearer(second["access_token"])).status_code == 200
    # the first refresh token again: someone holds a copy, so every token of the account dies
    time.sleep(0.01)
    replay = anon.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["detail"] == (
        "the refresh token was already used or revoked; sign in again"
    )
    _refused(anon, bearer(second["access_token"]), "the token has been revoked; sign in again")
    gone = anon.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert gone.status_code == 401
    assert login(anon, "party_member").status_code == 200  # signing in again works


def test_admin_signs_an_account_out_everywhere(client, anon, auth, accounts):
    headers = auth("grid_worker_peer")
    assert anon.get(ME, headers=headers).status_code == 200
    time.sleep(0.01)
    answer = client.post(f"/api/v1/accounts/{accounts['grid_worker_peer'].id}/sign-out")
    assert answer.status_code == 204
    _refused(anon, headers, "the token has been revoked; sign in again")
    assert anon.get(ME, headers=auth("grid_worker_peer")).status_code == 200  # a new one works


def test_disabled_account_is_401(anon, auth, engine, accounts):
    headers = auth("department_peer")
    with engine.begin() as conn:
        conn.execute(text("UPDATE account SET active = false WHERE username = 'department_peer'"))
    try:
        _refused(anon, headers, "the account is disabled")
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE account SET active = true WHERE username = 'department_peer'")
            )


def test_api_keys_act_for_their_account_until_revoked(client, anon, engine, accounts):
    account_id = accounts["township_peer"].id
    issued = client.post(f"/api/v1/accounts/{account_id}/api-keys", json={"label": "311 relay"})
    assert issued.status_code == 201, issued.text
    key, prefix = issued.json()["api_key"], issued.json()["prefix"]
    assert key.startswith(f"wg_{prefix}_")
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT digest FROM api_key WHERE prefix = :p"), {"p": prefix}
        ).scalar_one()
    assert key not in stored and len(stored) == 64  # only the digest is kept
    assert anon.get(ME, headers={"X-API-Key": key}).json()["username"] == "township_peer"
    wrong = anon.get(ME, headers={"X-API-Key": key[:-2] + "xx"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "the API key is not valid or has been revoked"
    assert client.delete(f"/api/v1/api-keys/{prefix}").status_code == 204
    assert anon.get(ME, headers={"X-API-Key": key}).status_code == 401
    assert client.delete(f"/api/v1/api-keys/{prefix}").status_code == 404


def test_only_the_admin_manages_accounts(client, auth):
    body = {"username": "new-worker", "password": "a-long-password", "role": "command"}
    for username in ("command", "township", "grid_worker", "planner"):
        answer = client.post("/api/v1/accounts", json=body, headers=auth(username))
        assert answer.status_code == 403, username
    assert client.get("/api/v1/accounts", headers=auth("command")).status_code == 403


def test_account_creation_checks_the_scope_of_the_role(client):
    cases = [
        ({"role": "grid_worker"}, "area", "a grid_worker account needs the code of its grid"),
        (
            {"role": "grid_worker", "area_code": "150621001"},
            "area",
            "a grid_worker serves grid; 150621001 is a township",
        ),
        ({"role": "township", "area_code": "999"}, "area", "no current area with code '999'"),
        (
            {"role": "department"},
            "department",
            "department staff need a department code, e.g. D02",
        ),
        ({"role": "department", "department": "D99"}, "department", "no department 'D99'"),
        ({"role": "admin", "username": "admin"}, "username", "'admin' is already taken"),
    ]
    for extra, field, message in cases:
        body = {"username": "scope-test", "password": "a-long-password", **extra}
        answer = client.post("/api/v1/accounts", json=body)
        assert answer.status_code == 422, (extra, answer.text)
        assert answer.json()["errors"] == [{"where": "body", "field": field, "message": message}]


def test_account_creation_is_audited(client, engine):
    body = {
        "username": "township-3-officer",
        "password": "a-long-password",
        "role": "township",
        "area_code": "150621003",
    }
    answer = client.post("/api/v1/accounts", json=body)
    assert answer.status_code == 201, answer.text
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT actor, role, action, after FROM audit_log WHERE object_type = 'account' "
                "AND object_id = :id"
            ),
            {"id": str(answer.json()["id"])},
        ).one()
        hashed = conn.execute(
            text("SELECT password_hash FROM account WHERE username = 'township-3-officer'")
        ).scalar_one()
    assert (row.actor, row.role, row.action) == ("admin", "admin", "account.create")
    assert row.after["area_code"] == "150621003"
    assert "a-long-password" not in json.dumps(row.after)
    assert hashed.startswith("$argon2id$")
    # the trail is readable by the administrator, newest first
    trail = client.get(
        "/api/v1/audit", params={"object_type": "account", "object_id": answer.json()["id"]}
    )
    assert trail.status_code == 200
    assert [(e["actor"], e["action"]) for e in trail.json()["items"]] == [
        ("admin", "account.create")
    ]
    assert trail.json()["next_before"] is None


def test_audit_trail_pages_and_is_for_the_administrator_only(client, auth):
    for username in ("command", "township", "grid_worker"):
        assert client.get("/api/v1/audit", headers=auth(username)).status_code == 403
    first = client.get("/api/v1/audit", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next_before"] == first["items"][0]["id"]
    second = client.get("/api/v1/audit", params={"limit": 1, "before": first["next_before"]})
    assert second.json()["items"][0]["id"] < first["items"][0]["id"]


def test_sign_in_page_sets_an_http_only_strict_cookie(anon, limiter):
    page = anon.get("/login?next=/maps/heat")
    assert page.status_code == 200
    assert "网格化治理 · 登录" in page.text and 'value="/maps/heat"' in page.text
    answer = anon.post(
        "/login",
        data={"username": "command", "password": DEMO_PASSWORD, "next": "/maps/heat"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/maps/heat"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("wangge_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    anon.cookies.clear()


def test_sign_in_page_never_redirects_off_site(anon, limiter):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        answer = anon.post(
            "/login",
            data={"username": "command", "password": DEMO_PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/maps/", target
    anon.cookies.clear()


def test_sign_in_page_wrong_password_says_so_in_chinese(anon, limiter):
    answer = anon.post("/login", data={"username": "command", "password": "wrong-password"})
    assert answer.status_code == 401
    assert "用户名或密码不正确。" in answer.text
    assert "set-cookie" not in answer.headers


def test_page_session_reads_but_refuses_cross_site_writes(anon, database, accounts):
    settings = Settings(database_url=database.url)
    session = tokens.issue(settings, accounts["township"].id, "session").token
    cookie = {"Cookie": f"wangge_session={session}"}
    assert anon.get(ME, headers=cookie).json()["username"] == "township"
    foreign = anon.post("/api/v1/auth/logout", headers={**cookie, "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.json()["detail"] == "a cross-site request cannot use the page session"
    # a stale cookie on a page: back to the sign-in page, keeping where the visitor was going
    page = anon.get(
        "/maps/heat?x=1", headers={"Cookie": f"wangge_session={session}x"}, follow_redirects=False
    )
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/maps/heat%3Fx%3D1"
    anon.cookies.clear()


@pytest.mark.parametrize(
    "origin",
    ["https://testserver", "http://evil.example", "null", "http://testserver.evil.example"],
)
def test_the_origin_check_compares_scheme_and_host(anon, database, accounts, origin):
    """The test client's pages are http://testserver: an https page (or any other) is another
    origin, as browsers count them, and may not write with the page session."""
    settings = Settings(database_url=database.url)
    session = tokens.issue(settings, accounts["township"].id, "session").token
    cookie = {"Cookie": f"wangge_session={session}"}
    foreign = anon.post("/api/v1/auth/logout", headers={**cookie, "Origin": origin})
    assert foreign.status_code == 403, origin
    referred = anon.post(
        "/api/v1/auth/logout", headers={**cookie, "Referer": f"{origin}/maps/command"}
    )
    assert referred.status_code == 403, origin
    assert anon.get(ME, headers=cookie).status_code == 200  # still signed in
    own = anon.post("/api/v1/auth/logout", headers={**cookie, "Origin": "http://testserver"})
    assert own.status_code == 204
    anon.cookies.clear()


def test_the_sign_out_form_refuses_another_site(anon, database, accounts):
    """A page elsewhere posting to /logout must neither revoke the session nor clear it."""
    settings = Settings(database_url=database.url)
    session = tokens.issue(settings, accounts["township"].id, "session").token
    cookie = {"Cookie": f"wangge_session={session}"}
    for origin in ("https://evil.example", "https://testserver"):
        foreign = anon.post("/logout", headers={**cookie, "Origin": origin}, follow_redirects=False)
        assert foreign.status_code == 403, origin
        assert foreign.json()["detail"] == "a cross-site request cannot use the page session"
        assert "set-cookie" not in foreign.headers
        assert anon.get(ME, headers=cookie).status_code == 200, origin
    own = anon.post(
        "/logout", headers={**cookie, "Origin": "http://testserver"}, follow_redirects=False
    )
    assert own.status_code == 303
    assert anon.get(ME, headers=cookie).status_code == 401  # revoked
    anon.cookies.clear()


def test_placeholder_secret_is_refused_outside_development():
    with pytest.raises(ValidationError, match="WANGGE_SECRET_KEY is the development placeholder"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="production", secret_key="k" * 40).secret_key == "k" * 40
    assert Settings().secret_key == PLACEHOLDER_SECRET  # development


def test_service_refuses_to_start_in_production_with_the_placeholder(tmp_path):
    env = {**os.environ, "WANGGE_DATA_DIR": str(tmp_path), "WANGGE_ENVIRONMENT": "production"}
    env.pop("WANGGE_SECRET_KEY", None)
    done = subprocess.run([str(WANGGE), "run"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "WANGGE_SECRET_KEY is the development placeholder" in lines[0]


def test_cli_creates_accounts_and_api_keys(database, anon, limiter, engine):
    env = {
        **os.environ,
        "WANGGE_DATABASE_URL": database.url,
        "WANGGE_NEW_PASSWORD": "cli-made-password",
    }
    args = ["users", "create", "cli-grid-worker", "--role", "grid_worker"]
    done = subprocess.run(
        [str(WANGGE), *args, "--area", "15062100300101"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("account cli-grid-worker (网格员) created, id ")
    token = login(anon, "cli-grid-worker", "cli-made-password").json()["access_token"]
    assert anon.get(ME, headers=bearer(token)).json()["area_code"] == "15062100300101"
    key = subprocess.run(
        [str(WANGGE), "users", "api-key", "cli-grid-worker", "--label", "tablet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert key.returncode == 0, key.stderr
    api_key = key.stdout.strip()
    assert anon.get(ME, headers={"X-API-Key": api_key}).json()["username"] == "cli-grid-worker"
    again = subprocess.run(
        [str(WANGGE), *args, "--area", "15062100300101"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        "wangge: username: 'cli-grid-worker' is already taken"
    )
    with engine.connect() as conn:
        actions = conn.execute(
            text("SELECT action FROM audit_log WHERE actor = 'cli' ORDER BY id")
        ).scalars()
        assert list(actions)[-2:] == ["account.create", "api_key.create"]
        assert find_account(conn, username="cli-grid-worker").password_hash.startswith("$argon2")


def _audit_entries(engine, object_type, object_id):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT actor, role, action, object_type, object_id, after FROM audit_log "
                "WHERE object_type = :t AND object_id = :i ORDER BY id"
            ),
            {"t": object_type, "i": str(object_id)},
        ).all()


def test_the_cli_and_the_api_audit_an_account_and_its_key_alike(database, client, engine):
    """Same account fields, one made on the command line and one by the API: the same entry,
    save who acted and the account's own id and name."""
    area = "15062100300102"
    env = {**os.environ, "WANGGE_DATABASE_URL": database.url, "WANGGE_NEW_PASSWORD": "p" * 12}
    for args in (
        ["users", "create", "cli-twin", "--role", "grid_worker", "--area", area],
        ["users", "api-key", "cli-twin", "--label", "tablet"],
    ):
        done = subprocess.run(
            [str(WANGGE), *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    made = client.post(
        "/api/v1/accounts",
        json={
            "username": "api-twin",
            "password": "p" * 12,
            "role": "grid_worker",
            "area_code": area,
        },
    )
    assert made.status_code == 201, made.text
    api_id = made.json()["id"]
    key = client.post(f"/api/v1/accounts/{api_id}/api-keys", json={"label": "tablet"})
    assert key.status_code == 201, key.text
    with engine.connect() as conn:
        cli_id = find_account(conn, username="cli-twin").id
        cli_prefix = conn.execute(
            text("SELECT prefix FROM api_key WHERE account_id = :a"), {"a": cli_id}
        ).scalar_one()

    def expected(account_id, username):
        return {
            "id": account_id,
            "username": username,
            "display_name": username,
            "role": "grid_worker",
            "role_label": "网格员",
            "area_code": area,
            "department": None,
            "member_id": None,
        }

    (cli,) = _audit_entries(engine, "account", cli_id)
    (api,) = _audit_entries(engine, "account", api_id)
    assert (cli.actor, cli.role) == ("cli", "admin") and (api.actor, api.role) == ("admin", "admin")
    assert (cli.action, cli.object_type, cli.object_id) == (
        "account.create",
        "account",
        str(cli_id),
    )
    assert (api.action, api.object_type, api.object_id) == (
        "account.create",
        "account",
        str(api_id),
    )
    assert cli.after == expected(cli_id, "cli-twin")
    assert api.after == expected(api_id, "api-twin") == made.json()
    (cli_key,) = _audit_entries(engine, "api_key", cli_prefix)
    (api_key,) = _audit_entries(engine, "api_key", key.json()["prefix"])
    assert (cli_key.action, cli_key.after) == ("api_key.create", {"account": cli_id})
    assert (api_key.action, api_key.after) == ("api_key.create", {"account": api_id})
