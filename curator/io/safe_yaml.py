"""YAML from users and from data, loaded so that it can neither run code nor exhaust memory.

Only PyYAML's SafeLoader constructs values (no Python tags). On top of it: a size limit on the
text, a limit on the size of the tree once aliases are expanded (a "billion laughs" document is a
few hundred bytes that expand to 10⁹ nodes), no recursive aliases, bounded nesting, and values
limited to what JSON can hold (dates become ISO strings; ``!!set`` or ``!!binary`` are refused).
"""

from __future__ import annotations

import datetime
from typing import Any

import yaml

MAX_NODES = 200_000  # a large recipe or dataset card has a few thousand


class YamlLimitError(ValueError):
    """The YAML is valid but over a limit, or holds a value that is not plain data."""


def compose_bounded(text: str, *, max_bytes: int, max_nodes: int = MAX_NODES) -> yaml.Node | None:
    """The YAML node tree of ``text`` (None when empty), checked against the limits.

    Raises ``yaml.YAMLError`` for invalid YAML and ``YamlLimitError`` for a limit.
    """
    loader = _open(text, max_bytes)
    try:
        return _single_node(loader, max_nodes)
    finally:
        loader.dispose()


def load_bounded(text: str, *, max_bytes: int, max_nodes: int = MAX_NODES) -> Any:
    """The plain data (dicts, lists, str, int, float, bool, None) of a YAML document."""
    loader = _open(text, max_bytes)
    try:
        node = _single_node(loader, max_nodes)
        if node is None:
            return None
        try:
            data = loader.construct_document(node)
        except RecursionError:
            raise YamlLimitError("the YAML is nested too deeply") from None
    finally:
        loader.dispose()
    try:
        return plain(data)
    except RecursionError:
        raise YamlLimitError("the YAML is nested too deeply") from None


def _open(text: str, max_bytes: int) -> yaml.SafeLoader:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlLimitError(f"the YAML is {size:,} bytes; the limit is {max_bytes:,}")
    return yaml.SafeLoader(text)


def _single_node(loader: yaml.SafeLoader, max_nodes: int) -> yaml.Node | None:
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise YamlLimitError("the YAML is nested too deeply") from None
    if node is not None:
        expanded_size(node, max_nodes)
    return node


def expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes in the tree with every alias expanded; YamlLimitError past ``limit`` or on a cycle.

    Shared (aliased) nodes are sized once and reused, so the walk itself stays small.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if not children_done:
            if key in open_nodes:
                raise YamlLimitError("the YAML has a recursive alias")
            open_nodes.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in open_nodes:
                    raise YamlLimitError("the YAML has a recursive alias")
                if id(child) not in sizes:
                    stack.append((child, False))
            continue
        total = 1 + sum(sizes[id(child)] for child in children)
        if total > limit:
            raise YamlLimitError(
                f"the YAML expands to more than {limit:,} values (aliases repeat whole subtrees)"
            )
        sizes[key] = total
        open_nodes.discard(key)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def plain(value: Any) -> Any:
    """``value`` with dates as ISO strings; YamlLimitError for anything JSON cannot hold."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlLimitError(f"a mapping key of type {type(key).__name__} is not plain data")
            out[key] = plain(item)
        return out
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    kind = type(value).__name__
    raise YamlLimitError(f"a YAML value of type {kind} (e.g. !!set, !!binary) is not plain data")
