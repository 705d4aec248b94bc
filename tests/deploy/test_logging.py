"""Logs on a server: LOG_LEVEL is respected, journald gets priorities, and the token never gets through."""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logging_setup import configure_logging

# Built at run time so no token-shaped string sits in the repository.
TOKEN = "M" + "T" * 23 + ".GabcDE." + "a" * 33


@pytest.fixture(autouse=True)
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """configure_logging changes the process's root logger: put it back after each test."""
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    http_level = logging.getLogger("discord.http").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("discord.http").setLevel(http_level)
    logging.captureWarnings(False)


def test_log_level_is_respected() -> None:
    """LOG_LEVEL=WARNING drops INFO lines and keeps warnings, one line each with their key=value context."""
    out = io.StringIO()
    configure_logging("warning", (TOKEN,), out)
    log = logging.getLogger("bot.delivery")
    log.info("posted guild=%s post=%s", 1, 2)
    log.warning("scheduled post failed guild=%s kind=%s error=%s", 1, "daily", "Missing permission")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("WARNING bot.delivery: scheduled post failed guild=1 kind=daily error=Missing permission")


def test_debug_level_keeps_discord_http_at_info() -> None:
    """LOG_LEVEL=DEBUG shows the bot's debug lines but not discord.py's request dumps."""
    out = io.StringIO()
    configure_logging("DEBUG", (TOKEN,), out)
    logging.getLogger("bot.app").debug("detail")
    logging.getLogger("discord.http").debug("request body")
    assert "detail" in out.getvalue() and "request body" not in out.getvalue()


def test_an_unknown_level_falls_back_to_info_and_says_so() -> None:
    """A mistyped LOG_LEVEL does not stop the bot: INFO is used and a warning names the value."""
    out = io.StringIO()
    configure_logging("verbose", (), out)
    assert logging.getLogger().level == logging.INFO
    assert "LOG_LEVEL='verbose' is not one of DEBUG, INFO, WARNING, ERROR; using INFO" in out.getvalue()


def test_token_is_redacted_from_messages_tracebacks_stacks_and_warnings() -> None:
    """Wherever a library puts the token (message, exception, stack, warning), the line shows it redacted."""
    out = io.StringIO()
    configure_logging("INFO", (TOKEN,), out)
    log = logging.getLogger("some.library")
    log.info("headers=%s", {"Authorization": f"Bot {TOKEN}"})
    try:
        raise RuntimeError(f"login failed with {TOKEN}")
    except RuntimeError:
        log.exception("crashed")
    stack = f'Stack (most recent call last):\n  File "lib.py", line 1, in login\n    connect("{TOKEN}")'
    log.handle(log.makeRecord("some.library", logging.INFO, __file__, 1, "where am I", (), None, sinfo=stack))
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(f"deprecated use of {TOKEN}", DeprecationWarning, stacklevel=1)
    text = out.getvalue()
    assert TOKEN not in text
    assert "headers={'Authorization': 'Bot [token redacted]'}" in text
    assert "RuntimeError: login failed with [token redacted]" in text
    assert 'connect("[token redacted]")' in text
    assert "DeprecationWarning: deprecated use of [token redacted]" in text


def test_journald_gets_priorities_and_no_timestamps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under systemd (stdout is the JOURNAL_STREAM), each line starts with its syslog priority, tracebacks too."""
    with (tmp_path / "journal").open("w+", encoding="utf-8") as stream:
        status = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{status.st_dev}:{status.st_ino}")
        configure_logging("INFO", (TOKEN,), stream)
        log = logging.getLogger("bot.delivery")
        log.info("posted guild=%s post=%s", 1, 2)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("closing crashed post=%s", 3)
        stream.flush()
        lines = (tmp_path / "journal").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "<6>INFO bot.delivery: posted guild=1 post=2"
    assert lines[1] == "<3>ERROR bot.delivery: closing crashed post=3"
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines[1:])
    assert lines[-1] == "<3>ValueError: boom"


def test_a_stream_that_is_not_the_journal_gets_timestamps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal or a file gets the usual timestamped lines, even with JOURNAL_STREAM set for another stream."""
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")
    out = io.StringIO()
    configure_logging("INFO", (), out)
    logging.getLogger("bot").info("hello")
    assert out.getvalue()[:4].isdigit() and out.getvalue().rstrip().endswith("INFO bot: hello")
