"""Section builders every page shares: the question and its answer, filters kept in the URL,
and tables of named, formatted, linked cells.

A page opens with a ``question`` section; filters are a GET form, so every view has its own
shareable address; a bad filter value is a 400 and an unknown one a 404, both with a message.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from caremap.app.glossary import fmt, helptext, label
from caremap.app.query import BadRequest, NotFound

Section = dict[str, Any]
# A value no option could have: markup or quoting characters, control characters, > 80 long.
VALUE = re.compile(r"^[^<>\"`\\\x00-\x1f\x7f]{1,80}$")


def choose(
    ctx, param: str, options: list, default, labels: dict | None = None, lenient: bool = False
):
    """A filter value from the query string, checked against the values that exist.

    Malformed (characters no value has, or too long, or repeated): 400. Well-formed but not
    among ``options``: 404 naming what was not found and some that exist, unless ``lenient``
    (a filter form whose parent choice just changed: the stale value gives way to the default).
    """
    values = ctx.request.query_params.getlist(param)
    if not values:
        return default
    if len(values) > 1:
        raise BadRequest(f"give {param} once, not {len(values)} times", field=param)
    raw = values[0]
    if raw == "":
        return default
    if not VALUE.match(raw):
        raise BadRequest(
            f'{param} must be at most 80 characters, without < > " ` \\ or control characters',
            field=param,
        )
    by_text = {str(o): o for o in options}
    if raw not in by_text and lenient:
        return default
    if raw not in by_text:
        shown = ", ".join((labels or {}).get(o, str(o)) for o in options[:8])
        raise NotFound(f"no {param} {raw!r} here; there are: {shown}", field=param)
    return by_text[raw]


def question(q: str, answer: list[str], method: str | None = None, **data) -> Section:
    """The page's question, its answer in sentences, and the method used to compare."""
    return {"kind": "question", "question": q, "answer": answer, "method": method, "data": data}


def filters(path: str, selects: list[dict], keep: dict | None = None) -> Section:
    """A GET form of ``selects``: each ``{"name", "label", "options": [(value, text)],
    "current"}``. ``keep``: hidden parameters carried over."""
    return {"kind": "filters", "action": path, "selects": selects, "keep": keep or {}}


def select(name: str, text: str, options: list[tuple[Any, str]], current) -> dict:
    return {
        "name": name,
        "label": text,
        "options": [(str(v), t) for v, t in options],
        "current": "" if current is None else str(current),
    }


def href(path: str, **params) -> str:
    q = {k: v for k, v in params.items() if v is not None and v != ""}
    return path + ("?" + urlencode(q) if q else "")


def cell(
    text, link: str | None = None, num: bool = False, cls: str = "", title: str = "", **data
) -> dict:
    """A table cell: its text, an optional link, hover text and ``data-*`` attributes."""
    return {"text": text, "href": link, "num": num, "cls": cls, "title": title, "data": data}


def grid(
    title: str,
    columns: list[str | tuple[str, str]],
    rows: list[list],
    note: str | None = None,
    more: str | None = None,
    tables: list[str] | None = None,
) -> Section:
    """A table: ``columns`` are glossary names or (heading, help) pairs; each row a list of
    cells (plain values, or :func:`cell` dicts)."""
    heads = [(label(c), helptext(c)) if isinstance(c, str) else c for c in columns]
    body = []
    for r in rows:
        body.append(
            [c if isinstance(c, dict) else cell(c, num=isinstance(c, int | float)) for c in r]
        )
    out: Section = {"kind": "grid", "title": title, "heads": heads, "rows": body, "note": note}
    if more:
        out["more"] = more
    if tables:
        out["tables"] = tables
    return out


def frame_grid(
    title: str,
    df,
    columns: list[str],
    links: dict[str, Any] | None = None,
    names: dict[str, Any] | None = None,
    **kw,
) -> Section:
    """A grid of a DataFrame's ``columns``, values formatted by unit; ``names[c]`` turns a
    code into a name, ``links[c]`` a row into the address the cell links to."""
    rows = []
    for rec in df.to_dict("records"):
        row = []
        for c in columns:
            v = rec.get(c)
            v = None if v is not None and v != v else v
            text = names[c](v) if names and c in names and v is not None else fmt(c, v)
            link = links[c](rec) if links and c in links and v is not None else None
            row.append(cell(text, link, num=isinstance(v, int | float) and not isinstance(v, bool)))
        rows.append(row)
    return grid(title, columns, rows, **kw)


def plural(word: str, n: int) -> str:
    if n == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"


def distinct(ctx, table: str, column: str, where: dict | None = None) -> list:
    """Sorted distinct values of a text column (labels, never counts: nothing suppressed can
    be read from them); identifiers come from the catalog, values are bound parameters."""
    info = ctx.info(table)
    if not info.has(column):
        return []
    if column in info.roles.dims:
        return ctx.distinct(table, column, where)
    if not str(info.columns[column]).upper().startswith(("VARCHAR", "DATE", "TIMESTAMP")):
        raise ValueError(f"{table}.{column} is not a text column")
    conds = {c: v for c, v in (where or {}).items() if info.has(c)}
    sql = f'SELECT DISTINCT "{column}" FROM "{table}"'
    if conds:
        sql += " WHERE " + " AND ".join(f'"{c}" = ?' for c in conds)
    rows = ctx.st.cursor().execute(sql + " ORDER BY 1", list(conds.values())).fetchall()
    return [r[0] for r in rows if r[0] is not None]
