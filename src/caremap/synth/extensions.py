"""Where later capabilities extend the synthetic economy with their own domains.

A domain (trauma incidents, hub performance, waiting lists, contracts, ...) is a function in
a module ``caremap/synth/ext_<domain>.py`` decorated with `synth_extension`. After the base
economy (geography, sites, people, conditions, activity) is generated, each extension runs in
``order`` with a `SynthContext` and returns new tables, which are written beside the base
extracts (canonical tables) or under ``truth/`` (names starting ``truth.``).

Every table an extension returns must be declared in the data model: canonical tables in
`caremap.core.schema` or a module of `caremap.core.schema_ext`.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

ExtensionFn = Callable[["SynthContext"], dict[str, pa.Table]]


@dataclass
class SynthContext:
    """What an extension can see of the economy generated so far.

    ``tables`` holds the base tables small enough to keep in memory (region, ics, locality,
    small_area, population, postcode, road_node, road_link, provider, site, site_capability)
    and ``truth.person``; ``activity_summary`` is activity aggregated by provider, site,
    setting, point of delivery, specialty, admission method and year (count, cost), so that
    contracts and performance can be made consistent with it without holding every row.
    Extensions may add their outputs to ``tables`` for later extensions.
    """

    seed: int
    population: int
    start_date: date
    end_date: date
    tables: dict[str, pa.Table] = field(default_factory=dict)
    activity_summary: pa.Table | None = None

    def rng(self, name: str) -> np.random.Generator:
        """A generator for ``name`` that depends only on the seed and the name."""
        digest = hashlib.sha256(f"{self.seed}:{name}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    @property
    def years(self) -> list[int]:
        return list(range(self.start_date.year, self.end_date.year + 1))


@dataclass(frozen=True)
class Extension:
    name: str
    order: int
    fn: ExtensionFn


_EXTENSIONS: dict[str, Extension] = {}


def synth_extension(name: str, order: int = 100) -> Callable[[ExtensionFn], ExtensionFn]:
    """Register ``fn(ctx) -> {table: arrow}`` as a synthetic domain."""

    def deco(fn: ExtensionFn) -> ExtensionFn:
        _EXTENSIONS[name] = Extension(name, order, fn)
        return fn

    return deco


def extensions() -> list[Extension]:
    """All registered extensions, in order (importing every ``caremap.synth.ext_*``)."""
    import caremap.synth as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.startswith("ext_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")
    return sorted(_EXTENSIONS.values(), key=lambda e: (e.order, e.name))
