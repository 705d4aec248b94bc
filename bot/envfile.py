"""Read a settings file the way systemd's EnvironmentFile= does, so `sudo revbot` sees what the service sees.

`python -m bot.envfile FILE COMMAND...` runs COMMAND with the file's settings added to the environment. The admin
command (deploy/revbot-admin) uses it as root, before dropping to the service user, instead of letting a shell run
the file: a value is never executed, and no value is ever printed.

The rules follow systemd.exec(5), "EnvironmentFile=": lines starting with # or ; are comments; leading and trailing
whitespace is dropped, interior whitespace kept (so `DISCORD_TOKEN=Bot abc` is the value "Bot abc"); a backslash
keeps the next character and continues a line at its end; single quotes keep everything verbatim; double quotes
allow the shell's escapes; assignments with an invalid name are ignored.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from pathlib import Path

log = logging.getLogger(__name__)

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
NEWLINE = "\n\r"
WHITESPACE = " \t\n\r"
DOUBLE_QUOTE_ESCAPES = '"\\`$'


class _State(Enum):
    PRE_KEY = auto()
    KEY = auto()
    PRE_VALUE = auto()
    VALUE = auto()
    VALUE_ESCAPE = auto()
    SINGLE_QUOTED = auto()
    DOUBLE_QUOTED = auto()
    DOUBLE_QUOTED_ESCAPE = auto()
    COMMENT = auto()
    COMMENT_ESCAPE = auto()


@dataclass(slots=True)
class EnvFile:
    """The settings a file assigns, and the line numbers of assignments ignored for an invalid name."""

    values: dict[str, str] = field(default_factory=dict)
    ignored_lines: list[int] = field(default_factory=list)


def parse_env_file(text: str) -> EnvFile:
    """Return the assignments in text, read by systemd's EnvironmentFile= rules."""
    result = EnvFile()
    state = _State.PRE_KEY
    key, value = "", ""
    line, key_line = 1, 1
    value_end = 0  # length of value without trailing unquoted whitespace

    def assign() -> None:
        name = key.strip(WHITESPACE)
        if NAME.match(name):
            result.values[name] = value[:value_end]
        else:
            result.ignored_lines.append(key_line)

    for c in text:
        if state is _State.PRE_KEY:
            if c in "#;":
                state = _State.COMMENT
            elif c not in WHITESPACE:
                state, key, key_line = _State.KEY, c, line
        elif state is _State.KEY:
            if c in NEWLINE:
                state = _State.PRE_KEY  # a line without "=" is ignored
            elif c == "=":
                state, value, value_end = _State.PRE_VALUE, "", 0
            else:
                key += c
        elif state is _State.PRE_VALUE:
            if c in NEWLINE:
                assign()
                state = _State.PRE_KEY
            elif c == "'":
                state = _State.SINGLE_QUOTED
            elif c == '"':
                state = _State.DOUBLE_QUOTED
            elif c == "\\":
                state = _State.VALUE_ESCAPE
            elif c not in WHITESPACE:
                state, value = _State.VALUE, value + c
                value_end = len(value)
        elif state is _State.VALUE:
            if c in NEWLINE:
                assign()
                state = _State.PRE_KEY
            elif c == "\\":
                state = _State.VALUE_ESCAPE
            else:
                value += c
                if c not in WHITESPACE:
                    value_end = len(value)
        elif state is _State.VALUE_ESCAPE:
            state = _State.VALUE
            if c not in NEWLINE:  # a backslash at the end of a line continues it
                value += c
                value_end = len(value)
        elif state is _State.SINGLE_QUOTED:
            if c == "'":
                state = _State.PRE_VALUE
            else:
                value += c
                value_end = len(value)
        elif state is _State.DOUBLE_QUOTED:
            if c == '"':
                state = _State.PRE_VALUE
            elif c == "\\":
                state = _State.DOUBLE_QUOTED_ESCAPE
            else:
                value += c
                value_end = len(value)
        elif state is _State.DOUBLE_QUOTED_ESCAPE:
            state = _State.DOUBLE_QUOTED
            if c in DOUBLE_QUOTE_ESCAPES:
                value += c
            elif c not in NEWLINE:
                value += "\\" + c
            value_end = len(value)
        elif state is _State.COMMENT:
            if c == "\\":
                state = _State.COMMENT_ESCAPE
            elif c in NEWLINE:
                state = _State.PRE_KEY
        else:  # COMMENT_ESCAPE: the escaped character stays in the comment
            state = _State.COMMENT
        if c == "\n":
            line += 1
    if state in (_State.PRE_VALUE, _State.VALUE, _State.VALUE_ESCAPE, _State.SINGLE_QUOTED, _State.DOUBLE_QUOTED):
        assign()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command with a settings file's assignments added to the environment; return 1 if it cannot."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2:
        print("usage: python -m bot.envfile FILE COMMAND [ARG...]", file=sys.stderr)
        return 2
    path, command = Path(args[0]), args[1:]
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        print(f"Cannot read the settings in {path}: {exc.strerror or exc}.", file=sys.stderr)
        return 1
    except UnicodeDecodeError:
        print(f"{path} is not UTF-8 text: save it again as UTF-8 (systemd reads only UTF-8).", file=sys.stderr)
        return 1
    parsed = parse_env_file(text.removeprefix("\ufeff"))
    for number in parsed.ignored_lines:
        print(f"{path}, line {number}: ignored, as systemd does: not a valid setting name.", file=sys.stderr)
    os.execvpe(command[0], command, {**os.environ, **parsed.values})  # noqa: S606 - the admin's own command


if __name__ == "__main__":
    raise SystemExit(main())
