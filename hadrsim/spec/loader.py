"""Reading a study file, with errors a person can act on.

Every problem is reported as ``field.path: value ...: what is allowed``; the CLI
prints them and exits with status 2 before writing anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hadrsim.models.designs import DESIGN_KINDS
from hadrsim.spec.study import Study


class SpecError(ValueError):
    """A study file that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid study\n" + "\n".join(f"  {p}" for p in problems))


def _short(value: Any) -> str:
    text = repr(value)
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
                f"one of {_TAGS_BY_FIELD.get(field, [])}"]
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
        part.startswith("function-") or part in _UNION_TAGS or part == "[key]"
    )


_TAGS_BY_FIELD = {
    "dist": ["constant", "exponential", "lognormal", "uniform"],
    "kind": DESIGN_KINDS,
}
_UNION_TAGS = {tag for tags in _TAGS_BY_FIELD.values() for tag in tags}


def parse_study(data: Any, source: str = "<study>") -> Study:
    """Validate already-parsed data (a dict) into a :class:`Study`."""
    if data is None:
        raise SpecError(source, ["the file is empty: a study needs at least name, designs "
                                 "and scenarios (see `hadrsim schema`)"])
    if not isinstance(data, dict):
        raise SpecError(source, ["the top level must be a mapping of fields (name: ..., "
                                 f"designs: ...), not a {type(data).__name__}"])
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        problems = [line for err in exc.errors() for line in _format(err)]
        raise SpecError(source, problems) from None


def load_study(path: str | Path) -> Study:
    """Read and validate a YAML study file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    except UnicodeDecodeError as exc:
        raise SpecError(
            str(path), [f"not a UTF-8 text file (byte {exc.start}): save it as UTF-8"]
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", exc)
        raise SpecError(str(path), [f"{where}not valid YAML ({problem})"]) from None
    return parse_study(data, str(path))
