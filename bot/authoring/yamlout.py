"""Write content YAML the same way every time, in the style of the hand-written files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WIDTH = 100
_FOLD_OVER = 80


class _Dumper(yaml.SafeDumper):
    """Block style, long text folded (`>-`), lists of items indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if len(value) > _FOLD_OVER and "  " not in value and value == value.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def dump_content(data: dict[str, Any], header: list[str]) -> str:
    """Return data as YAML under comment lines; raise ValueError if it would not read back the same."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=WIDTH, default_flow_style=False)
    if yaml.safe_load(body) != data:
        raise ValueError("the YAML written would not read back as the same content")
    return "".join(f"# {line}\n" for line in header) + body


def write_atomically(path: Path, text: str) -> None:
    """Write text to path so that a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    tmp.replace(path)
