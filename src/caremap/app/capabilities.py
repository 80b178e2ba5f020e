"""The dashboard's pages, one per capability, and what each shows.

The pages, their titles and the step whose command produces their tables come from
`caremap.core.manifest.PAGES`.

A page lists the tables of its capability (by name prefix) and draws them with a specific
builder (`caremap.app.views`) when one is registered, or generically as a preview. A page whose tables are absent says which
command produces them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pandas as pd
from fastapi import Request

from caremap.app.catalog import TableInfo, visible_kinds
from caremap.app.data import published_for
from caremap.app.query import Filter, read_page
from caremap.app.state import AppState
from caremap.app.users import User
from caremap.core.manifest import PAGES, run_hint

Section = dict[str, Any]


@dataclass(frozen=True)
class Capability:
    slug: str
    title: str
    lede: str
    command: str
    prefixes: tuple[str, ...]
    exact: tuple[str, ...] = field(default=())

    def owns(self, name: str) -> bool:
        return name in self.exact or name.startswith(self.prefixes)


CAPABILITIES: tuple[Capability, ...] = tuple(
    Capability(
        p.slug,
        p.title,
        p.lede,
        run_hint(p.step) if p.step else "",
        p.prefixes,
        p.exact,
    )
    for p in PAGES
)
BY_SLUG = {c.slug: c for c in CAPABILITIES}
Builder = Callable[["PageContext"], list[Section]]
BUILDERS: dict[str, Builder] = {}


def builder(slug: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        BUILDERS[slug] = fn
        return fn

    return deco


class PageContext:
    """What a page builder may use: the user's view of the workspace."""

    def __init__(self, st: AppState, user: User, request: Request) -> None:
        self.st = st
        self.user = user
        self.request = request
        kinds = visible_kinds(user.role)
        self.all_tables = st.catalog.tables(st.cursor())
        self.tables = {n: t for n, t in self.all_tables.items() if t.kind in kinds}
        self._ids = count(1)

    def has(self, *names: str) -> bool:
        return all(n in self.tables for n in names)

    def info(self, name: str) -> TableInfo:
        return self.tables[name]

    def frame(
        self,
        name: str,
        columns: list[str] | None = None,
        where: tuple[str, Any] | dict[str, Any] | None = None,
        order_by: str | None = None,
        descending: bool = False,
        limit: int = 20_000,
    ) -> pd.DataFrame:
        """Rows of a table as this user may see them (suppressed for viewers).

        ``where``: column = value conditions (values bound as parameters).
        """
        info = self.tables[name]
        cols = [c for c in (columns or list(info.columns)) if c in info.columns]
        conds = dict([where]) if isinstance(where, tuple) else dict(where or {})
        filters = [Filter(c, "eq", (v,)) for c, v in conds.items() if c in info.columns]
        page = read_page(
            self.st.cursor(),
            info,
            filters=filters,
            columns=cols,
            order_by=order_by,
            descending=descending,
            limit=limit,
            offset=0,
            published=published_for(self.st, self.user, info),
        )
        return pd.DataFrame(page.rows, columns=page.columns)

    def distinct(self, name: str, column: str, where: dict[str, Any] | None = None) -> list:
        """Sorted distinct values of a dimension column (dimensions are never suppressed)."""
        info = self.tables[name]
        if not info.has(column):
            return []
        if column not in info.roles.dims:
            raise ValueError(f"{name}.{column} is not a dimension")
        conds = {c: v for c, v in (where or {}).items() if c in info.columns}
        sql = f'SELECT DISTINCT "{column}" FROM "{name}"'
        if conds:
            sql += " WHERE " + " AND ".join(f'"{c}" = ?' for c in conds)
        rows = self.st.cursor().execute(sql + " ORDER BY 1", list(conds.values())).fetchall()
        return [r[0] for r in rows if r[0] is not None]

    def chart(self, title: str, figure: dict[str, Any], note: str | None = None) -> Section:
        return {
            "kind": "chart",
            "title": title,
            "figure": figure,
            "id": next(self._ids),
            "note": note,
        }

    @staticmethod
    def table(
        title: str,
        df: pd.DataFrame,
        note: str | None = None,
        more: str | None = None,
        rows: int = 25,
    ) -> Section:
        head = df.head(rows)
        records = [{c: _cell(v) for c, v in r.items()} for r in head.to_dict("records")]
        return {
            "kind": "table",
            "title": title,
            "columns": list(df.columns),
            "rows": records,
            "note": note,
            "more": more,
        }


def _cell(v: Any) -> Any:
    """A value for an HTML table: missing as None, long text shortened, lists joined."""
    if isinstance(v, list | tuple):
        v = ", ".join(map(str, v))
    elif v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    elif hasattr(v, "item"):
        v = v.item()
    if isinstance(v, str) and len(v) > 160:
        return v[:157] + "..."
    return v


def capability_tables(ctx: PageContext, cap: Capability) -> list[TableInfo]:
    return [t for n, t in sorted(ctx.tables.items()) if cap.owns(n)]


def missing(cap: Capability, what: str | None = None, tables: tuple[str, ...] = ()) -> Section:
    return {
        "kind": "missing",
        "what": what or cap.title,
        "command": cap.command,
        "tables": list(tables),
    }


def build_page(ctx: PageContext, cap: Capability) -> list[Section]:
    own = capability_tables(ctx, cap)
    fn = BUILDERS.get(cap.slug)
    sections = fn(ctx) if fn else []
    if not own and not sections:
        return [missing(cap, tables=tuple(p + "*" for p in cap.prefixes) + cap.exact)]
    shown = {t for s in sections for t in s.get("tables", [])}
    person = []
    for info in own:
        if info.kind == "person":
            person.append((f"/tables/{info.name}", f"{info.name} (person-level; audited)"))
        elif info.name not in shown:
            sections.extend(generic_sections(ctx, info))
    if person:
        sections.append({"kind": "links", "title": "Person-level tables", "links": person})
    return sections


def generic_sections(ctx: PageContext, info: TableInfo) -> list[Section]:
    """A preview of a table no builder draws (no automatic chart: summing a measure over
    the other columns adds unrelated things)."""
    from caremap.app.names import names_for

    df = ctx.frame(info.name, limit=25)
    if "table_name" in df and ctx.user.role != "admin":
        df = df[~df["table_name"].astype(str).str.startswith("truth.")]
    nm = names_for(ctx)
    for c in df.columns:  # codes of sites, providers and areas shown by their names
        if (
            c.endswith(("_code", "unit", "_id"))
            and df[c].dtype == object
            and df[c].map(lambda v: v is not None and nm.known(v)).any()
        ):
            df[c] = df[c].map(lambda v: nm.any(v) if v is not None else v)
    return [ctx.table(f"{info.name} ({info.rows:,} rows)", df, more=f"/tables/{info.name}")]
