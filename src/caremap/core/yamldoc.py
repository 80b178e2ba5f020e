"""Load a YAML document (specifications, rules, scenarios) into a Pydantic model, reporting every problem with its line.

Uses the composed node tree (``yaml.compose``) to map each field path back to the line it
was written on, so that a bad specification says which file, line and field is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from caremap.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest node along ``loc`` (a Pydantic error location)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


class YamlDoc:
    """A parsed YAML file that can say on which line a field path was written."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        try:
            self.node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{file}{where}: not valid YAML ({exc})") from None

    @classmethod
    def from_path(cls, path: str | Path) -> YamlDoc:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
        return cls(text, str(path))

    def line(self, loc: tuple[Any, ...]) -> int | None:
        return _line_of(self.node, loc)

    def where(self, loc: tuple[Any, ...]) -> str:
        line = self.line(loc)
        field = ".".join(str(p) for p in loc) or "(document)"
        return f"{self.file}, line {line}, field {field}" if line else f"{self.file}, field {field}"

    def parse(self, model: type[M]) -> M:
        """Validate the document as ``model``; a ConfigError lists every problem with its line."""
        if not isinstance(self.data, dict):
            raise ConfigError(f"{self.file}: expected a mapping at the top level")
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            problems = [f"{self.where(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
            raise ConfigError(
                f"{len(problems)} problem(s) in {self.file}:\n  " + "\n  ".join(problems)
            ) from None
