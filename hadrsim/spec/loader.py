"""Reading a study file, with errors a person can act on.

Every problem is reported as ``field.path: value ...: what is allowed``; the CLI
prints them and exits with status 2 before writing anything.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hadrsim.spec.distributions import FAMILY_NAMES
from hadrsim.spec.kinds import kind_names
from hadrsim.spec.study import Study
from hadrsim.spec.types import is_control

# A study file is a few kilobytes; the bundled ones hold under 1,000 values. These
# bounds stop an alias bomb ("billion laughs") or a runaway file before it costs
# memory: the expanded tree is counted on the composed nodes, never built.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_VALUES = 100_000
MAX_DEPTH = 64


class SpecError(ValueError):
    """A study file that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        if len(problems) == 1:  # one problem: one line, "FILE: field.path: value ...: allowed"
            super().__init__(f"{source}: {problems[0]}")
        else:
            super().__init__(f"{source}: invalid study\n"
                             + "\n".join(f"  {p}" for p in problems))


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxlong, _REPR.maxother = 3, 80, 40, 80
_REPR.maxdict = _REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 6


def _short(value: Any) -> str:
    """At most 80 characters of repr, built without the repr of a huge value."""
    text = _REPR.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _format(error: dict) -> list[str]:
    parts = [str(part) for part in error["loc"] if not _is_union_tag(part)]
    if parts and parts[-1] == "value" and "constant" in error["loc"] and _is_number(error["input"]):
        parts.pop()  # a plain number was read as {dist: constant, value: ...}
    path = ".".join(parts)
    message = error["msg"].removeprefix("Value error, ")
    lines = []
    for line in message.splitlines():
        # model validators name the offending sub-field as "@field: problem"
        if line.startswith("@"):
            field, _, rest = line[1:].partition(": ")
            lines.append(f"{path}.{field}: {rest}" if path else f"{field}: {rest}")
        else:
            lines.append(line)
    if any(line.startswith("@") for line in message.splitlines()):
        return lines
    if not path:
        return lines
    if error["type"] == "union_tag_not_found":
        field = error.get("ctx", {}).get("discriminator", "kind").strip("'")
        return [f"{path}.{field}: required field is missing; "
                f"one of {_tags_by_field().get(field, [])}"]
    if error["type"] == "missing":
        return [f"{path}: required field is missing"]
    if error["type"] == "union_tag_invalid":
        field = error.get("ctx", {}).get("discriminator", "kind").strip("'")
        return [f"{path}.{field}: value {_short(error['ctx'].get('tag'))}: "
                f"expected one of {error['ctx'].get('expected_tags')}"]
    if error["type"] == "extra_forbidden":
        return [f"{path}: unknown field (value {_short(error['input'])}); check the spelling"]
    return [f"{path}: value {_short(error['input'])}: {message}"]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_union_tag(part: Any) -> bool:
    # pydantic puts the chosen tag, a function name or "[key]" into loc; keep paths clean
    return isinstance(part, str) and (
        part.startswith("function-") or part == "[key]"
        or any(part in tags for tags in _tags_by_field().values())
    )


def _tags_by_field() -> dict[str, list[str]]:
    """The tags of the study's discriminated unions (design kinds: as registered now)."""
    return {"dist": list(FAMILY_NAMES), "kind": kind_names()}


def parse_study(data: Any, source: str = "<study>") -> Study:
    """Validate already-parsed data (a dict) into a :class:`Study`."""
    if data is None:
        raise SpecError(source, ["the file is empty: a study needs at least name, designs "
                                 "and scenarios (see `hadrsim schema`)"])
    if not isinstance(data, dict):
        raise SpecError(source, ["the top level must be a mapping of fields (name: ..., "
                                 f"designs: ...), not a {type(data).__name__}"])
    control = _control_characters(data)
    if control:
        raise SpecError(source, [control])
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        problems = [line for err in exc.errors() for line in _format(err)]
        raise SpecError(source, problems) from None


def _control_characters(data: Any, path: str = "") -> str | None:
    """The first text holding a control character (an ANSI escape, say), as a problem.

    Every name and target ends up in a table or a message; descriptions may hold
    tabs and line breaks, nothing else.
    """
    stack = [(path, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{where}.{k}" if where else str(k), v) for k, v in value.items()]
            stack += [(where or str(k), k) for k in value if isinstance(k, str)]
        elif isinstance(value, list):
            stack += [(f"{where}.{i}", v) for i, v in enumerate(value)]
        elif isinstance(value, str):
            keep = "\t\n\r" if where.endswith("description") else ""
            if any(is_control(c) and c not in keep for c in value):
                return (f"{where}: value {_short(value)}: control characters (such as "
                        "terminal escapes) are not allowed here")
    return None


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, line: int, key: Any, first: int):
        super().__init__(f"line {line}: key {_short(key)} appears twice (first on line "
                         f"{first}); the last one would silently win: keep one")


class _TooLarge(yaml.YAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys and deep nesting."""

    def fetch_flow_collection_start(self, TokenClass) -> None:  # noqa: N803 - PyYAML's name
        # the scanner's work per token grows with the nesting: 50,000 '[' took 40 s
        if self.flow_level >= MAX_DEPTH:
            raise _TooLarge(f"line {self.get_mark().line + 1}: the YAML nests more than "
                            f"{MAX_DEPTH} levels of [ ] or {{ }}; a study nests a few")
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) >= MAX_DEPTH:
            raise _TooLarge(f"line {self.get_mark().line + 1}: the YAML nests more than "
                            f"{MAX_DEPTH} levels; a study nests a few")
        return super().add_indent(column)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # "<<: *base" keys may be overridden on purpose
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark.line + 1)
                except TypeError:
                    continue  # unhashable: SafeLoader reports it
                if first != key_node.start_mark.line + 1:
                    raise _DuplicateKey(key_node.start_mark.line + 1, key, first)
        return super().construct_mapping(node, deep=deep)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand to more than MAX_VALUES values, or a loop.

    Sizes are summed over the composed nodes (each anchor counted once, its size
    reused for every alias), so a billion laughs costs a few hundred steps.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > MAX_VALUES:
                raise _TooLarge(
                    f"line {node.start_mark.line + 1}: the YAML expands to more than "
                    f"{MAX_VALUES:,} values through anchors and aliases (&name, *name); "
                    "a study needs far fewer: write the values out")
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise _TooLarge(f"line {node.start_mark.line + 1}: an alias refers to a value "
                            "that contains it (a loop); write the values out")
        open_nodes.add(key)
        stack.append((node, True))
        stack += [(child, False) for child in _children(node) if id(child) not in sizes]


def _parse_yaml(text: str) -> Any:
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError(str(path), [f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB; "
                                    "a study file is a few kilobytes"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            str(path), [f"not a UTF-8 text file (byte {exc.start}): save it as UTF-8"]
        ) from None


def load_study(path: str | Path) -> Study:
    """Read and validate a YAML study file (bounded in size, strict about keys)."""
    path = Path(path)
    text = _read_text(path)
    try:
        data = _parse_yaml(text)
    except (_DuplicateKey, _TooLarge) as exc:
        raise SpecError(str(path), [str(exc)]) from None
    except RecursionError:
        raise SpecError(str(path), ["the YAML is nested too deeply; a study file "
                                    "nests a few levels"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", exc)
        raise SpecError(str(path), [f"{where}not valid YAML ({problem})"]) from None
    return parse_study(data, str(path))
