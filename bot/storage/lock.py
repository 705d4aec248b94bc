"""The lock beside the database file that keeps a restore from replacing the database under a running bot.

The bot holds a shared lock for as long as it has the database open; a restore takes the lock exclusively, so it
is refused while a bot runs, and a bot that starts during a restore stops with a clear message (systemd starts it
again). The kernel drops the lock when its process ends, even on a crash, so a stale lock cannot block anyone.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows has no flock: there nothing stops a restore under a running bot
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class LockHeld(Exception):
    """Another process holds the database's lock in a way that conflicts with the one asked for."""


def lock_path(database: Path) -> Path:
    """Return the lock file that belongs to a database file."""
    return database.with_name(database.name + ".lock")


class DatabaseLock:
    """A held lock on a database's lock file; release it (or let the process end) to give it back."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    @classmethod
    def take(cls, database: Path, *, exclusive: bool) -> DatabaseLock:
        """Take the lock without waiting; raise LockHeld if another holder conflicts."""
        if fcntl is None:
            return cls(None)
        fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(str(database)) from None
        except BaseException:
            os.close(fd)
            raise
        return cls(fd)

    def release(self) -> None:
        """Give the lock back (closing the file releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
