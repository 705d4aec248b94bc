"""Read YAML content files, keeping the node tree so errors can name the line they come from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is several times faster; fall back to the pure-Python parser where it is missing.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


@dataclass(frozen=True, slots=True, order=True)
class ContentError:
    """One problem in a content file, located by line and field path."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class _TrackingLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader that records duplicate keys instead of silently keeping the last one."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    self.duplicates.append((key_node.start_mark.line + 1, key))
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_TrackingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _TrackingLoader.construct_mapping,
)


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed YAML file: its data and the node tree that knows each value's line."""

    file: str
    data: Any
    root: yaml.Node

    def line_of(self, loc: tuple[int | str, ...]) -> int:
        """Return the 1-based line of the deepest node that loc reaches."""
        node, key_line = self.root, None
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key_line = _key_line(node, part)
            node = child
        if key_line is not None and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            return key_line  # a block list or mapping starts on the line after its key
        return node.start_mark.line + 1

    def key_line(self, loc: tuple[int | str, ...]) -> int:
        """Return the line of the key that ends loc (for unknown keys), else the value's line."""
        parent = self.root
        for part in loc[:-1]:
            child = _child(parent, part)
            if child is None:
                return self.line_of(loc)
            parent = child
        if isinstance(parent, yaml.MappingNode):
            for key_node, _ in parent.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == loc[-1]:
                    return key_node.start_mark.line + 1
        return self.line_of(loc)


def _key_line(node: yaml.Node, part: int | str) -> int | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return key_node.start_mark.line + 1
    return None


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                return value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None


def read_document(path: Path, display: str, raw: bytes) -> tuple[Document | None, list[ContentError]]:
    """Parse raw bytes of a YAML file, or return the errors that stop it being read at all."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [ContentError(display, line, "", f"file is not UTF-8 (byte 0x{raw[exc.start]:02x})")]
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return None, [ContentError(display, None, "", "file is empty")]
    loader = _TrackingLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "could not be read"
        if exc.context:
            problem = f"{exc.context}: {problem}"
        return None, [ContentError(display, line, "", f"invalid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return None, [ContentError(display, None, "", f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    errors = [
        ContentError(display, line, key, "key appears twice in the same mapping") for line, key in loader.duplicates
    ]
    if root is None or not isinstance(root, yaml.MappingNode):
        errors.append(ContentError(display, 1, "", "the file must hold a mapping of keys (e.g. id: ...)"))
        return None, errors
    return Document(display, data, root), errors
