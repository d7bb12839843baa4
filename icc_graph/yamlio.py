"""Reading and writing record files: YAML that remembers where each value came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DataError, Problem, rel

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Located(dict[str, Any]):
    """A mapping read from YAML, with the line of the mapping and of each key (1-based)."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class LocatedList(list[Any]):
    """A sequence read from YAML, with the line of each item (1-based)."""

    lines: list[int]


class _LocatingLoader(_Loader):
    pass


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LocatedList:
    items = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first at line {mapping.lines[key]})",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_LocatingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)
_LocatingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence
)
# Dates stay strings: a record's "updated: 2026-11-27" must round-trip unchanged.
_LocatingLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def read_text(path: Path, data: bytes | None = None) -> str:
    """The file's text (``data``: its bytes, when already read), or a DataError that says the
    file is not UTF-8 and where."""
    if data is None:
        data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError([Problem(
            f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            file=rel(path), line=line,
            hint="save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
        )]) from None


def load(path: Path, data: bytes | None = None) -> Any:
    """Parse one YAML file (``data``: its bytes, when already read); syntax errors become a
    DataError with file and line."""
    text = read_text(path, data)
    try:
        return yaml.load(text, Loader=_LocatingLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DataError([Problem(
            f"malformed YAML: {exc.problem or exc}",
            file=rel(path), line=line,
            hint="check indentation and quoting around that line",
        )]) from None


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)
_Dumper.add_representer(Located, _Dumper.represent_dict)
_Dumper.add_representer(LocatedList, _Dumper.represent_list)


def dump(data: Any) -> str:
    """YAML as people read it: UTF-8 text (not escapes), keys in the order given."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
