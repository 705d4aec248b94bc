"""`revbot invite-url`: the least the bot needs, the id from the settings or the token, and never the token."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.cli import main
from bot.invite import application_id_from_token, invite_url
from tests.fakediscord.world import bot_token

APP_ID = 1234567890123456789
# View Channels, Send Messages, Embed Links, Read Message History (discord.com/developers/docs/topics/permissions)
MINIMUM = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    for name in ("DISCORD_TOKEN", "DISCORD_APPLICATION_ID"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_invite_url_has_the_scopes_and_minimum_permissions() -> None:
    """The link asks for bot and applications.commands, and exactly the four permissions the README lists."""
    query = parse_qs(urlsplit(invite_url(APP_ID)).query)
    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(MINIMUM)] == ["84992"]


def test_application_id_comes_from_the_token() -> None:
    """The token's first part is the bot's id in base64, which is also the application's id."""
    assert application_id_from_token(bot_token(APP_ID)) == APP_ID
    assert application_id_from_token("not a token") is None
    assert application_id_from_token(base64.b64encode(b"hello").decode() + ".a.b") is None


def test_cli_prints_the_url_and_never_thebot_token(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With only a token, the URL uses the id inside it; the token itself is printed nowhere."""
    token = bot_token(APP_ID)
    cli_env.setenv("DISCORD_TOKEN", token)
    assert main(["invite-url"]) == 0
    out, err = capsys.readouterr()
    assert out == invite_url(APP_ID) + "\n"
    assert "View Channels, Send Messages, Embed Links, Read Message History" in err
    assert token not in out + err and token.split(".")[2] not in out + err


def test_cli_prefers_the_configured_application_id(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DISCORD_APPLICATION_ID wins over the token."""
    cli_env.setenv("DISCORD_TOKEN", bot_token(APP_ID))
    cli_env.setenv("DISCORD_APPLICATION_ID", "987654321098765432")
    assert main(["invite-url"]) == 0
    assert "client_id=987654321098765432" in capsys.readouterr().out


def test_cli_without_an_id_says_where_to_find_it(
    cli_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With neither setting, exit 1 and say where the application id is."""
    assert main(["invite-url"]) == 1
    assert "DISCORD_APPLICATION_ID" in capsys.readouterr().err
