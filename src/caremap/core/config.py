"""Configs as data: one base model and one loader for every capability's config.

Every capability's config subclasses `Config` (a Pydantic model that refuses unknown keys)
and loads through `load_config`, from a YAML or JSON file with overrides from the command
line, so a scenario or a run is a document that can be saved, diffed and rerun, and a bad
one is reported whole, each problem with its field path (and its line, in YAML), before any
work starts (the Splink and nhp_model practice). `config_schema` exports the JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from caremap.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
YAML_SUFFIXES = (".yaml", ".yml")


class Config(BaseModel):
    """Base of every caremap config: a misspelt key is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


def read_mapping(path: str | Path) -> dict[str, Any]:
    """The settings in a ``.yaml``/``.yml`` or JSON file, as a mapping."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such config file")
    text = p.read_text()
    yaml_file = p.suffix.lower() in YAML_SUFFIXES
    try:
        if yaml_file:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:
        kind = "YAML" if yaml_file else "JSON"
        raise ConfigError(f"{p}: not valid {kind}: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of settings, found {type(data).__name__}")
    return data


def validate_config(
    cls: type[M],
    data: Any,
    source: str = "config",
    where: Callable[[tuple[Any, ...]], str] | None = None,
) -> M:
    """``cls`` built from ``data``; a `ConfigError` lists every problem with its field path.

    ``where(loc)`` names the place of a problem (e.g. the file and line); by default its
    dotted field path.
    """
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            loc = tuple(e["loc"])
            place = where(loc) if where else ".".join(str(x) for x in loc) or "(top level)"
            problems.append(f"{place}: {e['msg']}")
        raise ConfigError(
            f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        ) from None


def load_config(cls: type[M], path: str | Path | None = None, **overrides: Any) -> M:
    """``cls`` from a YAML/JSON file (or its defaults), with non-None ``overrides`` applied.

    Problems in a YAML file name their line and field; problems in an override name the
    field it set.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    if path is None:
        return validate_config(cls, given, cls.__name__)
    data = read_mapping(path)
    where = None
    if Path(path).suffix.lower() in YAML_SUFFIXES:
        from caremap.core.yamldoc import YamlDoc

        doc = YamlDoc.from_path(path)

        def where(loc: tuple[Any, ...]) -> str:
            if loc and loc[0] in given:
                return f"option {'.'.join(str(x) for x in loc)}"
            return doc.where(loc)

    data.update(given)
    return validate_config(cls, data, str(path), where)


def config_schema(cls: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a config (for editors and for checking saved scenarios)."""
    return cls.model_json_schema()
