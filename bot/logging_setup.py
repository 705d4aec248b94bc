"""Logging: one line per event with key=value context, and the token never written anywhere."""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import TextIO

# Discord bot tokens: base64 user id, a dot, a timestamp part, a dot, an HMAC part.
TOKEN_PATTERN = re.compile(r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}")
REDACTED = "[token redacted]"
# The password in a PostgreSQL URL: postgresql://user:PASSWORD@host/database.
URL_PASSWORD_PATTERN = re.compile(r"(postgres(?:ql)?://[^/:@\s]*:)[^@\s]*@", re.IGNORECASE)


class RedactingFilter(logging.Filter):
    """Replace the bot's token (and anything shaped like a token), and database passwords, in every record."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return URL_PASSWORD_PATTERN.sub(r"\1[password redacted]@", TOKEN_PATTERN.sub(REDACTED, text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# syslog priorities: journald reads a "<N>" line prefix, so `journalctl -p warning` filters by level.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    """For journald: no timestamp (the journal adds one), and each line prefixed with its syslog priority."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{_PRIORITY.get(record.levelno, 6)}>"
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


def level_number(name: str) -> int | None:
    """Return the logging level a LOG_LEVEL value names (DEBUG, INFO, WARNING, ERROR, ...), or None."""
    number = logging.getLevelName(name.strip().upper())
    return number if isinstance(number, int) and number > 0 else None


def writes_to_journal(stream: TextIO) -> bool:
    """Return whether stream is the journal connection systemd gave the service (JOURNAL_STREAM)."""
    try:
        device, inode = (int(part) for part in os.environ.get("JOURNAL_STREAM", "").split(":"))
        status = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (status.st_dev, status.st_ino) == (device, inode)


def configure_logging(level: str, secrets: tuple[str, ...] = (), stream: TextIO | None = None) -> RedactingFilter:
    """Send logs to stdout (journald picks them up) with the token redacted; return the filter."""
    stream = stream or sys.stdout
    handler = logging.StreamHandler(stream)
    if writes_to_journal(stream):
        handler.setFormatter(JournalFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    number = level_number(level)
    root.setLevel(number or logging.INFO)
    logging.getLogger("discord.http").setLevel(max(root.level, logging.INFO))
    logging.captureWarnings(True)  # warnings go through the same handler, so they are redacted too
    if number is None:
        logging.getLogger(__name__).warning("LOG_LEVEL=%r is not one of %s; using INFO", level, ", ".join(LEVELS))
    return redactor
