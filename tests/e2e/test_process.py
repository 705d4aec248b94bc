"""`revbot run` as a process: needs only a token, never prints it, and shuts down cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.world import bot_token

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATA_DIR", "DATABASE_PATH"))}
    env.update({"DATA_DIR": str(tmp_path / "data"), "CONTENT_DIR": str(ROOT / "content"), **extra})
    return env


async def test_without_a_token_it_explains_and_exits_2(tmp_path: Path) -> None:
    """With no DISCORD_TOKEN, one line says how to get one, and the exit code is 2."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN is not set" in lines[0]
    assert "discord.com/developers/applications" in lines[0]


async def test_runs_with_only_a_token_and_stops_on_sigterm(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """The bot logs in with defaults for everything else, never logs its token, and exits 0 on SIGTERM."""
    token, env = _bot_env(tmp_path, fake_discord, LOG_LEVEL="DEBUG")
    proc = await _start(tmp_path, env)
    try:
        await fake_discord.wait_for(lambda: fake_discord.identify_count >= 1, timeout=30, what="the bot to identify")
        await fake_discord.wait_for_request("PUT", r"/applications/\d+/commands", timeout=30)
        await asyncio.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
    log = out.decode()
    assert proc.returncode == 0, log
    assert "received SIGTERM, shutting down" in log
    assert "synced" in log
    assert token not in log
    assert (tmp_path / "data" / "revbot.sqlite3").is_file()


def _bot_env(tmp_path: Path, fake_discord: FakeDiscord, **extra: str) -> tuple[str, dict[str, str]]:
    """Return the bot's token and the environment of a `revbot run` against the fake Discord."""
    token = bot_token(fake_discord.world.application_id)
    fake_discord.world.token = token
    return token, _env(
        tmp_path,
        DISCORD_TOKEN=token,
        DISCORD_API_BASE_URL=fake_discord.api_base,
        DISCORD_GATEWAY_URL=fake_discord.gateway_url,
        **extra,
    )


async def _start(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """Start `revbot run` in tmp_path, its log (stdout and stderr) on one pipe."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _run_until_it_stops(tmp_path: Path, env: dict[str, str], *, expect: int) -> str:
    """Run `revbot run` until it exits by itself; check its exit code and return its log."""
    proc = await _start(tmp_path, env)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    log = out.decode()
    assert proc.returncode == expect, log
    return log


async def test_content_with_problems_stops_the_start_in_a_few_lines(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """Broken content is named file:line in the log, with no traceback, and the exit code (2) stops restarts."""
    content = tmp_path / "content" / "demo"
    content.mkdir(parents=True)
    (content / "course.yaml").write_text("id: demo\ntitle: Demo\nelements: [alpha]\n", encoding="utf-8")
    (content / "alpha.yaml").write_text("id: alpha\ntitle: [not, text]\n", encoding="utf-8")
    _, env = _bot_env(tmp_path, fake_discord, CONTENT_DIR=str(tmp_path / "content"))
    log = await _run_until_it_stops(tmp_path, env, expect=2)
    assert "Traceback" not in log
    assert "alpha.yaml:2: title:" in log
    assert "revbot content validate" in log


async def test_a_rejected_token_stops_with_exit_2_so_systemd_does_not_loop(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """A token Discord refuses is said in one line, and exit code 2 keeps the service from restarting forever."""
    fake_discord.world.token = bot_token(fake_discord.world.application_id, secret="r" * 38)
    token = bot_token(fake_discord.world.application_id)  # well formed, but not the bot's
    env = _env(
        tmp_path,
        DISCORD_TOKEN=token,
        DISCORD_API_BASE_URL=fake_discord.api_base,
        DISCORD_GATEWAY_URL=fake_discord.gateway_url,
    )
    log = await _run_until_it_stops(tmp_path, env, expect=2)
    assert "Discord rejected the token" in log and "Traceback" not in log
    assert token not in log


async def test_a_database_out_of_reach_stops_the_start_in_one_line(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """PostgreSQL not answering: one line naming where (never the password), and exit 1 so systemd tries again."""
    closed_port = "postgresql://revbot:s3cret-pw@127.0.0.1:9/revbot"
    _, env = _bot_env(tmp_path, fake_discord, DATABASE_URL=closed_port)
    log = await _run_until_it_stops(tmp_path, env, expect=1)
    assert "Traceback" not in log and "s3cret-pw" not in log
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, log
    assert "cannot connect to PostgreSQL at 127.0.0.1:9/revbot" in errors[0]
