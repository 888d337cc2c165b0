"""YAML text to a tree of plain values that remember where in the file they were written.

Only PyYAML's composer runs on the text: it builds a graph of nodes with their positions
and never constructs objects from tags. The walk here turns that graph into a tree of
:class:`Scalar`, :class:`Seq` and :class:`Map`, and on the way

- resolves plain scalars by the YAML 1.2 core schema only: whole numbers, decimal numbers,
  `true`/`false` (any case form of the spec), `null`/`~`/nothing; everything else, `NO`,
  `yes`, `12:30`, `2013-10-03`, stays text; quoted and block scalars are always text;
- refuses every tag but the standard `!!str !!int !!float !!bool !!null !!seq !!map`
  (`!!python/object`, `!foo` are reported, never executed);
- reports a key given twice in one mapping (at the second, naming the line of the first);
- expands aliases and `<<` merge keys, counting the nodes expanded through aliases and
  refusing a file past :data:`ALIAS_BUDGET` (an "alias bomb") before doing that work.

Each collection node is converted once and shared by all its aliases, so the walk is
linear in the size of the text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from planner.errors import Problem, ScenarioError

__all__ = [
    "ALIAS_BUDGET",
    "MAX_DEPTH",
    "Map",
    "Node",
    "Scalar",
    "Seq",
    "compose_tree",
]

ALIAS_BUDGET = 2_000_000
"""Most nodes that aliases may bring in again, in all; past it the file is refused."""

MAX_DEPTH = 100
"""Deepest nesting of lists and mappings; a scenario needs about six levels."""

Value = str | int | float | bool | None

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_SEQ = _TAG + "seq"
_MAP = _TAG + "map"
_MERGE = _TAG + "merge"
_PLAIN = "?"  # our own marker: a plain scalar whose type the core schema must decide

_CORE_NUMBER = re.compile(
    r"(?P<int>[-+]?[0-9]+)"
    r"|(?P<oct>0o[0-7]+)"
    r"|(?P<hex>0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<inf>[-+]?\.(?:inf|Inf|INF))"
    r"|(?P<nan>\.(?:nan|NaN|NAN))"
)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_MAYBE_TYPED = frozenset("0123456789+-.~nNtTfF")


class Node:
    """A value with its 1-based position in the file."""

    __slots__ = ("line", "column")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


class Scalar(Node):
    """A single value. `text` is the value as written; `bad` means a problem with it was
    already reported (an unknown tag), so readers should pass over it quietly."""

    __slots__ = ("value", "text", "bad")

    def __init__(self, value: Value, text: str, line: int, column: int, bad: bool = False):
        # Not through Node.__init__: a large file makes hundreds of thousands of these.
        self.line = line
        self.column = column
        self.value = value
        self.text = text
        self.bad = bad

    def __repr__(self) -> str:
        return f"Scalar({self.value!r} @{self.line}:{self.column})"


class Seq(Node):
    """A list."""

    __slots__ = ("items",)

    def __init__(self, items: list[Node], line: int, column: int) -> None:
        super().__init__(line, column)
        self.items = items

    def __repr__(self) -> str:
        return f"Seq({self.items!r} @{self.line}:{self.column})"


class Map(Node):
    """A mapping, in file order: key text -> (the key as written, the value)."""

    __slots__ = ("entries",)

    def __init__(self, entries: dict[str, tuple[Scalar, Node]], line: int, column: int):
        super().__init__(line, column)
        self.entries = entries

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}: {v!r}" for k, (_, v) in self.entries.items())
        return f"Map({{{inner}}} @{self.line}:{self.column})"


def _resolve_tag(self: Any, kind: Any, value: Any, implicit: Any) -> str:
    # Replaces PyYAML's YAML 1.1 resolver: plain scalars are typed later, by the core schema.
    if kind is yaml.ScalarNode:
        return _PLAIN if implicit[0] else _STR
    return _SEQ if kind is yaml.SequenceNode else _MAP


if hasattr(yaml, "CSafeLoader"):  # pragma: no branch

    class _CLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        resolve = _resolve_tag

    _LOADER: Any = _CLoader
else:  # pragma: no cover - PyYAML without libyaml

    class _PyLoader(yaml.SafeLoader):
        resolve = _resolve_tag

    _LOADER = _PyLoader


def resolve_plain(text: str) -> Value:
    """The value of a plain (unquoted, untagged) scalar under the YAML 1.2 core schema."""
    if text and text[0] not in _MAYBE_TYPED:
        return text
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    match = _CORE_NUMBER.fullmatch(text)
    if match is None:
        return text
    kind = match.lastgroup
    try:
        if kind == "int":
            return int(text)
        if kind == "oct":
            return int(text[2:], 8)
        if kind == "hex":
            return int(text[2:], 16)
    except ValueError:  # more digits than Python converts; leave it as text
        return text
    if kind == "float":
        return float(text)
    if kind == "inf":
        return float("-inf") if text[0] == "-" else float("inf")
    return float("nan")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _AliasBomb(Exception):
    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


class _Walker:
    def __init__(self, source: str, budget: int) -> None:
        self.source = source
        self.budget = budget
        self.expanded = 0
        self.problems: list[Problem] = []
        self.done: dict[int, tuple[Node, int]] = {}
        self.active: set[int] = set()

    def problem(self, line: int, column: int, message: str) -> None:
        self.problems.append(Problem(self.source, line, column, message))

    def walk(self, node: Any, depth: int) -> tuple[Node, int]:
        """Convert one node; returns it and its size counted with aliases expanded."""
        if type(node) is yaml.ScalarNode:
            return self.scalar(node), 1
        key = id(node)
        seen = self.done.get(key)
        mark = node.start_mark
        line, column = mark.line + 1, mark.column + 1
        if seen is not None:
            self.expanded += seen[1]
            if self.expanded > self.budget:
                raise _AliasBomb(line, column)
            return seen
        if key in self.active:
            self.problem(line, column, "an alias here refers to a list or mapping that holds it")
            return Scalar(None, "", line, column, bad=True), 1
        if depth > MAX_DEPTH:
            self.problem(line, column, f"lists and mappings nest more than {MAX_DEPTH} deep")
            return Scalar(None, "", line, column, bad=True), 1
        self.active.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                result = self.sequence(node, line, column, depth)
            else:
                result = self.mapping(node, line, column, depth)
        finally:
            self.active.discard(key)
        self.done[key] = result
        return result

    def scalar(self, node: Any) -> Scalar:
        mark = node.start_mark
        line, column = mark.line + 1, mark.column + 1
        tag, text = node.tag, node.value
        if tag == _PLAIN:
            if text and text[0] not in _MAYBE_TYPED:
                return Scalar(text, text, line, column)
            return Scalar(resolve_plain(text), text, line, column)
        if tag == _STR:
            return Scalar(text, text, line, column)
        short = _short_tag(tag)
        if tag in (_TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"):
            value = resolve_plain(text.strip())
            wanted = tag[len(_TAG) :]
            fits = {
                "int": isinstance(value, int) and not isinstance(value, bool),
                "float": isinstance(value, int | float) and not isinstance(value, bool),
                "bool": isinstance(value, bool),
                "null": value is None,
            }[wanted]
            if fits:
                if wanted == "float" and value is not None:
                    value = float(value)
                return Scalar(value, text, line, column)
            self.problem(line, column, f"`{text}` is not a valid {short} value")
            return Scalar(None, text, line, column, bad=True)
        self.problem(line, column, self.tag_message(short))
        return Scalar(None, text, line, column, bad=True)

    @staticmethod
    def tag_message(short: str) -> str:
        return (
            f"the tag `{short}` is not allowed: a scenario holds plain values only "
            "(text, numbers, true/false, lists and mappings)"
        )

    def sequence(self, node: Any, line: int, column: int, depth: int) -> tuple[Node, int]:
        if node.tag != _SEQ:
            self.problem(line, column, self.tag_message(_short_tag(node.tag)))
            return Scalar(None, "", line, column, bad=True), 1
        items: list[Node] = []
        size = 1
        walk, scalar, scalar_node = self.walk, self.scalar, yaml.ScalarNode
        for child in node.value:
            if type(child) is scalar_node:
                items.append(scalar(child))
                size += 1
            else:
                item, n = walk(child, depth + 1)
                items.append(item)
                size += n
        return Seq(items, line, column), size

    def mapping(self, node: Any, line: int, column: int, depth: int) -> tuple[Node, int]:
        if node.tag != _MAP:
            self.problem(line, column, self.tag_message(_short_tag(node.tag)))
            return Scalar(None, "", line, column, bad=True), 1
        entries: dict[str, tuple[Scalar, Node]] = {}
        merges: list[Any] = []
        merge_line = 0
        size = 1
        walk, scalar, scalar_node = self.walk, self.scalar, yaml.ScalarNode
        for key_node, value_node in node.value:
            if type(key_node) is not scalar_node:
                kmark = key_node.start_mark
                self.problem(
                    kmark.line + 1,
                    kmark.column + 1,
                    "a key must be plain text, not a list or mapping",
                )
                continue
            if (key_node.tag == _PLAIN and key_node.value == "<<") or key_node.tag == _MERGE:
                kmark = key_node.start_mark
                kline, kcolumn = kmark.line + 1, kmark.column + 1
                if merges:
                    self.problem(
                        kline, kcolumn, f"duplicate key `<<`: already given on line {merge_line}"
                    )
                    continue
                merges.append(value_node)
                merge_line = kline
                continue
            key = scalar(key_node)
            kline, kcolumn = key.line, key.column
            if key.bad:
                continue
            if isinstance(key.value, str):
                name = key.value
            elif isinstance(key.value, int | float) and not isinstance(key.value, bool):
                name = key.text
            elif key.value is None:
                self.problem(kline, kcolumn, "a key is missing before the `:`")
                continue
            else:
                self.problem(kline, kcolumn, f"a key must be text, not `{key.text}`")
                continue
            first = entries.get(name)
            if first is not None:
                self.problem(
                    kline, kcolumn, f"duplicate key `{name}`: already given on line {first[0].line}"
                )
                continue
            if type(value_node) is scalar_node:
                entries[name] = (key, scalar(value_node))
                size += 1
            else:
                value, n = walk(value_node, depth + 1)
                entries[name] = (key, value)
                size += n
        for merge in merges:
            size += self.merge(entries, merge, depth)
        return Map(entries, line, column), size

    def merge(self, entries: dict[str, tuple[Scalar, Node]], node: Any, depth: int) -> int:
        """Add the entries of `<<: *a` or `<<: [*a, *b]` that are not there yet."""
        value, size = self.walk(node, depth + 1)
        sources = value.items if isinstance(value, Seq) else [value]
        for source in sources:
            if isinstance(source, Map):
                for name, entry in source.entries.items():
                    entries.setdefault(name, entry)
            elif not (isinstance(source, Scalar) and source.bad):
                self.problem(
                    source.line, source.column, "`<<` merges mappings only (write `<<: *anchor`)"
                )
        return size


def _syntax_problem(error: yaml.YAMLError, text: str, source: str) -> Problem:
    if isinstance(error, yaml.reader.ReaderError):
        before = text[: error.position]
        line = before.count("\n") + 1
        column = error.position - (before.rfind("\n") + 1) + 1
        char = error.character
        code = f"#x{ord(char) if isinstance(char, str) else char:04x}"
        return Problem(
            source, line, column, f"the character {code} is not allowed in a YAML text file"
        )
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        what = error.problem or "not valid YAML"
        if error.context:
            where = error.context_mark
            at = f" started on line {where.line + 1}" if where is not None else ""
            what = f"{what} ({error.context}{at})"
        if mark is not None:
            return Problem(source, mark.line + 1, mark.column + 1, f"YAML syntax: {what}")
        return Problem(source, 0, 0, f"YAML syntax: {what}")
    return Problem(source, 0, 0, f"YAML syntax: {error}")


def compose_tree(
    text: str, source: str = "<scenario>", budget: int = ALIAS_BUDGET
) -> tuple[Node | None, list[Problem]]:
    """Compose YAML text into a tree of positioned plain values.

    Args:
        text: the YAML text.
        source: the file name, for problems.
        budget: most nodes that aliases may expand to, in all.

    Returns:
        The root (None for an empty file or one with comments only) and the problems found
        on the way (unknown tags, duplicate keys, bad merges), to be reported with others.

    Raises:
        ScenarioError: the text is not YAML (position of the syntax error), holds more
            than one document, or expands aliases past `budget`.

    Example:
        >>> root, problems = compose_tree("country: NO\\nstart: 12:30\\n")
        >>> [(k, v.value) for k, (_, v) in root.entries.items()]
        [('country', 'NO'), ('start', '12:30')]
    """
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise ScenarioError([_syntax_problem(error, text, source)]) from None
    except RecursionError:
        raise ScenarioError(
            [Problem(source, 0, 0, f"lists and mappings nest more than {MAX_DEPTH} deep")]
        ) from None
    if node is None:
        return None, []
    walker = _Walker(source, budget)
    try:
        root, _ = walker.walk(node, 0)
    except _AliasBomb as bomb:
        raise ScenarioError(
            [
                Problem(
                    source,
                    bomb.line,
                    bomb.column,
                    f"too many aliases expanded (more than {budget:,} nodes) — "
                    "the file looks like an alias bomb",
                )
            ]
        ) from None
    return root, walker.problems
