"""Configs as data: read a YAML or JSON file into a Pydantic model, listing every problem.

Every capability's config (a Pydantic model) loads through here, so a scenario or a run is a
document that can be saved, diffed and rerun, and a bad one is reported whole before any work
starts (the Splink and nhp_model practice). Specifications whose errors need line numbers use
`caremap.core.yamldoc` instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from caremap.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_mapping(path: str | Path) -> dict[str, Any]:
    """The settings in a ``.yaml``/``.yml`` or JSON file, as a mapping."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such config file")
    text = p.read_text()
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:
        kind = "YAML" if p.suffix.lower() in (".yaml", ".yml") else "JSON"
        raise ConfigError(f"{p}: not valid {kind}: {str(exc).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of settings, found {type(data).__name__}")
    return data


def validate_config(cls: type[M], data: Any, source: str = "config") -> M:
    """``cls`` built from ``data``; a `ConfigError` lists every problem with its field path."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(x) for x in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ConfigError(
            f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        ) from None


def load_config(cls: type[M], path: str | Path | None = None, **overrides: Any) -> M:
    """``cls`` from a YAML/JSON file (or its defaults), with non-None ``overrides`` applied."""
    data = read_mapping(path) if path is not None else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return validate_config(cls, data, str(path) if path is not None else cls.__name__)
