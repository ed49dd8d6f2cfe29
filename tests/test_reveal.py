"""Reveals need a real reason and are counted from the audit log, not from process memory.

A reason of blanks or invisible characters is refused like a missing one; the allowance
(20 an hour by default) holds after the in-process limiter is reset and in another instance
of the service (a restart, or a second worker), because it counts the audit entries.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from geo.settings import Settings
from tests.helpers import fresh_account

#: The default allowance: what an account gets in production.
DEFAULT_RATE = Settings.model_fields["reveal_rate"].default


def _reveals(engine, actor: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM audit_log WHERE actor = :a AND action = :x"),
            {"a": actor, "x": "personal_data.reveal"},
        ).scalar_one()


@pytest.fixture
def township(client, engine, accounts):
    """A township officer with no reveals yet, and the URL of a member in their township."""
    username, headers = fresh_account(engine, client.app.state.settings, accounts["township"])
    url = f"/api/v1/members/{accounts['party_member'].member_id}/reveal"
    return username, headers, url


@pytest.mark.parametrize(
    "reason",
    ["    ", "\u200b" * 4, "\u3000\u200b\u2060\t\u00a0", " 核\u200d实 \u200b", "\x01\x02\x03\x7f"],
    ids=["spaces", "zero-width", "mixed-blanks", "two-visible", "controls"],
)
def test_a_reason_without_four_visible_characters_is_422_naming_reason(
    client, engine, township, reason
):
    username, headers, url = township
    answer = client.post(url, json={"reason": reason}, headers=headers)
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert (error["where"], error["field"]) == ("body", "reason")
    assert "at least 4 visible characters" in error["message"]
    assert _reveals(engine, username) == 0
    good = client.post(url, json={"reason": "\u200b核实来电\u200b"}, headers=headers)
    assert good.status_code == 200, good.text
    assert _reveals(engine, username) == 1


def test_the_21st_reveal_in_an_hour_is_429_after_a_limiter_reset_and_in_another_instance(
    client, engine, township
):
    username, headers, url = township
    settings = client.app.state.settings
    saved = settings.reveal_rate
    reason = {"reason": f"回访核实 {uuid.uuid4()}"}
    try:
        settings.reveal_rate = DEFAULT_RATE
        answers = [client.post(url, json=reason, headers=headers) for _ in range(20)]
        assert [a.status_code for a in answers] == [200] * 20
        client.app.state.limiter.reset()
        refused = client.post(url, json=reason, headers=headers)
        assert refused.status_code == 429, refused.text
        assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
        assert refused.json()["detail"].startswith("too many reveal requests: at most 20/hour")
        with TestClient(create_app(settings), raise_server_exceptions=False) as another:
            again = another.post(url, json=reason, headers=headers)
        assert again.status_code == 429, again.text
    finally:
        settings.reveal_rate = saved
    assert _reveals(engine, username) == 20
