"""What the systemd services' sandbox lets them write, read from their installed unit files and drop-ins.

`revbot doctor` runs outside the sandbox, so a folder it can write may still be read-only to the service
(ProtectSystem=strict with ReadWritePaths=), hidden (ProtectHome=) or private to it (PrivateTmp=).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

# Where systemd looks for units, most important first (systemd.unit(5), "Unit File Load Path").
UNIT_DIRS = ("etc/systemd/system", "run/systemd/system", "usr/local/lib/systemd/system", "lib/systemd/system")
READ_ONLY_FOR = {"yes": ("/usr", "/boot", "/efi"), "full": ("/usr", "/boot", "/efi", "/etc")}
HOME_DIRS = ("/home", "/root", "/run/user")
TMP_DIRS = ("/tmp", "/var/tmp")  # noqa: S108 - these are the folders PrivateTmp= replaces, not files we write


@dataclass(slots=True)
class Sandbox:
    """The settings of one service that decide where it may write."""

    unit: str
    protect_system: str = "no"
    protect_home: str = "no"
    private_tmp: bool = False
    read_write_paths: list[str] = field(default_factory=list)

    def problem(self, path: Path) -> str | None:
        """Return why the service could not write to folder path, or None if it can."""
        where = PurePosixPath(path)
        if _under(where, HOME_DIRS) and self.protect_home in ("yes", "read-only", "tmpfs"):
            return (
                f"{path} is under a home folder, which {self.unit} cannot see or write "
                f"(ProtectHome={self.protect_home}): use a folder under /var/lib"
            )
        if _under(where, TMP_DIRS) and self.private_tmp:
            return (
                f"{path} is in a temporary folder that {self.unit} sees as its own, emptied at every stop "
                "(PrivateTmp=yes): use a folder under /var/lib"
            )
        if _under(where, self.read_write_paths):
            return None
        if self.protect_system == "strict" or _under(where, READ_ONLY_FOR.get(self.protect_system, ())):
            allowed = " ".join(self.read_write_paths) or "nothing"
            return (
                f"{path} is read-only to {self.unit} (ProtectSystem={self.protect_system}; it may write to {allowed}): "
                f"run `sudo systemctl edit {self.unit}` and add [Service] ReadWritePaths={path}, or use a folder "
                "under one it may write to"
            )
        return None


def read_sandbox(unit: str, root: Path = Path("/")) -> Sandbox | None:
    """Return the sandbox of an installed unit with its drop-ins applied, or None if it is not installed."""
    main = next((root / d / unit for d in UNIT_DIRS if (root / d / unit).is_file()), None)
    if main is None:
        return None
    sandbox = Sandbox(unit)
    drop_ins: dict[str, Path] = {}
    for folder in reversed(UNIT_DIRS):  # a drop-in in /etc replaces one of the same name further down
        for conf in sorted((root / folder / f"{unit}.d").glob("*.conf")):
            drop_ins[conf.name] = conf
    for path in [main, *(drop_ins[name] for name in sorted(drop_ins))]:
        _apply(sandbox, path.read_text(encoding="utf-8", errors="replace"))
    return sandbox


def _apply(sandbox: Sandbox, text: str) -> None:
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        key, sep, value = line.partition("=")
        if section != "[Service]" or not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "ProtectSystem":
            sandbox.protect_system = {"true": "yes", "false": "no"}.get(value, value) or "no"
        elif key == "ProtectHome":
            sandbox.protect_home = {"true": "yes", "false": "no"}.get(value, value) or "no"
        elif key == "PrivateTmp":
            sandbox.private_tmp = value in ("yes", "true", "1", "on")
        elif key == "ReadWritePaths":
            if not value:  # an empty assignment resets the list
                sandbox.read_write_paths.clear()
            sandbox.read_write_paths.extend(p.lstrip("-+") for p in value.split())


def _under(path: PurePosixPath, folders: tuple[str, ...] | list[str]) -> bool:
    return any(path == PurePosixPath(f) or PurePosixPath(f) in path.parents for f in folders)
