"""A viewer's attacks on a published workspace: try to work out each suppressed cell.

Each attack is a formula over what a viewer downloaded. An attacker keeps a formula only if it
reproduces the cells that *are* published (at least `MIN_CHECKS` of them, all of them), then
applies it to the hidden cells; a hidden cell is recovered when the prediction equals the true
value. The families (issue 15): same-row ratios and products, cross-table copies and rate x
denominator, counting rows of another table, parent totals minus children (totals published in
another table, or in the same table at a parent area), and small counts written as text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_CHECKS = 3
MAX_SUBSET_VALUES = 8
SAMPLE = 200  # per column, hidden and shown rows tried in the cross-table attacks
TOL = 1e-6


@dataclass(frozen=True)
class Recovery:
    table: str
    column: str
    row: int
    true: float
    attack: str


def _num(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _norm(s: pd.Series) -> pd.Series:
    """Key values as text, dates alike however typed."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d")
    out = s.astype(str)
    return out.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$", r"\1", regex=True)


def _close(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= TOL * np.maximum(1.0, np.abs(b))


class Attacker:
    """Holds the viewer's downloads (``published``) and, for scoring only, the truth."""

    def __init__(
        self,
        published: dict[str, pd.DataFrame],
        truth: dict[str, pd.DataFrame],
        parents: dict[str, str] | None = None,
    ) -> None:
        self.pub = {t: df.reset_index(drop=True) for t, df in published.items()}
        self.truth = {t: truth[t].reset_index(drop=True) for t in published}
        self.parents = parents or {}
        self.found: dict[tuple[str, str, int], Recovery] = {}
        self.tried = 0
        self._nums = {t: self._numeric(t) for t in self.pub}
        self._sets: dict[tuple[str, str, str], set] = {}
        self._slices: dict[str, list] = {}

    # what is hidden -------------------------------------------------------------------------

    def hidden(self, table: str) -> dict[str, np.ndarray]:
        pub, tru = self.pub[table], self.truth[table]
        out = {}
        for c in pub.columns:
            t = _num(tru[c])
            if np.isnan(t).all():
                continue
            h = pub[c].isna().to_numpy() & ~np.isnan(t)
            if h.any():
                out[c] = h
        return out

    def numeric(self, table: str) -> list[str]:
        return self._nums[table]

    def _numeric(self, table: str) -> list[str]:
        df = self.pub[table]
        return [c for c in df.columns if (~np.isnan(_num(df[c]))).sum() > 0]

    def dims(self, table: str) -> list[str]:
        nums = set(self.numeric(table))
        return [c for c in self.pub[table].columns if c not in nums]

    def _score(self, table, col, pred, rows, hidden, attack) -> None:
        """Record the ``hidden`` cells among ``rows`` of ``table.col`` whose prediction
        equals the truth."""
        truth = _num(self.truth[table][col])[rows]
        for i in np.flatnonzero(hidden & ~np.isnan(pred)):
            self.tried += 1
            if _close(pred[i : i + 1], truth[i : i + 1])[0]:
                r = int(rows[i])
                self.found.setdefault((table, col, r), Recovery(table, col, r, truth[i], attack))

    def _try(self, table, col, pred, attack, rows=None) -> None:
        """Keep a formula only if it reproduces every published cell it can be checked on
        (``pred`` is for the table's ``rows``, all rows by default)."""
        if rows is None:
            rows = np.arange(len(self.pub[table]))
        shown = _num(self.pub[table][col])[rows]
        check = ~np.isnan(shown) & ~np.isnan(pred)
        if check.sum() < MIN_CHECKS or not _close(pred[check], shown[check]).all():
            return
        self._score(table, col, pred, rows, np.isnan(shown), attack)

    # attacks ----------------------------------------------------------------------------------

    def same_row(self) -> None:
        for t in self.pub:
            hid = self.hidden(t)
            if not hid:
                continue
            nums = self.numeric(t)
            vals = {c: _num(self.pub[t][c]) for c in nums}
            for c in hid:
                others = [x for x in nums if x != c]
                for x in others:
                    self._try(t, c, vals[x], f"copy {x}")
                for x, y in itertools.permutations(others, 2):
                    with np.errstate(all="ignore"):
                        for name, p in (
                            ("*", vals[x] * vals[y]),
                            ("/", vals[x] / vals[y]),
                            ("+", vals[x] + vals[y]),
                            ("-", vals[x] - vals[y]),
                        ):
                            self._try(t, c, p, f"{x} {name} {y}")

    def _subsets(self, table: str):
        """The table, and its slices by one low-cardinality dimension (``source = hubs``),
        each with the dimensions that vary in it (computed once)."""
        hit = self._slices.get(table)
        if hit is None:
            df = self.pub[table]
            parts = [("", df)]
            for d in self.dims(table):
                values = df[d].dropna().unique()
                if 1 < len(values) <= MAX_SUBSET_VALUES:
                    parts += [(f"{d}={v}", df[df[d] == v]) for v in values]
            hit = self._slices[table] = [
                (label, b, [d for d in self.dims(table) if b[d].nunique() > 1])
                for label, b in parts
                if len(b) >= MIN_CHECKS
            ]
        return hit

    def _values(self, tag: tuple[str, str, str], s: pd.Series) -> set:
        hit = self._sets.get(tag)
        if hit is None:
            hit = self._sets[tag] = set(_norm(s.dropna()).unique())
        return hit

    def _keys(self, a_tag, a, a_dims, b_tag, b, b_dims):
        """Column pairs whose values overlap enough to join on (names need not agree)."""
        pairs = []
        for x in a_dims:
            ax = self._values((*a_tag, x), a[x])
            if len(ax) < 2:
                continue
            for y in b_dims:
                by = self._values((*b_tag, y), b[y])
                if len(by) >= 2 and len(ax & by) >= 0.5 * len(by):
                    pairs.append((x, y))
        return pairs

    def _with_parent(self, table: str) -> tuple[pd.DataFrame, list[str]]:
        df = self.pub[table].copy()
        dims = self.dims(table)
        if "area_code" in df.columns and self.parents:
            df["__parent"] = df["area_code"].map(self.parents)
            dims = [*dims, "__parent"]
        return df, dims

    def cross_table(self) -> None:
        """Copies, rate x denominator, counts of rows and totals minus parts from any other
        table (or slice of one), joined on overlapping key columns."""
        for t in self.pub:
            hid = self.hidden(t)
            if not hid:
                continue
            full, a_dims = self._with_parent(t)
            keep = set()
            for c, m in hid.items():  # a sample of each column's hidden and shown cells
                keep.update(np.flatnonzero(m)[:SAMPLE])
                keep.update(np.flatnonzero(full[c].notna().to_numpy())[:SAMPLE])
            rows = np.array(sorted(keep))
            a = full.iloc[rows]
            a_nums = self.numeric(t)
            for b_name in self.pub:
                for label, b, b_dims in self._subsets(b_name):
                    if b_name == t and not label:
                        continue
                    pairs = self._keys((t, ""), full, a_dims, (b_name, label), b, b_dims)
                    for k in range(1, min(2, len(pairs)) + 1):
                        for combo in itertools.combinations(pairs, k):
                            xs = [x for x, _ in combo]
                            ys = [y for _, y in combo]
                            if len(set(xs)) < k or len(set(ys)) < k:
                                continue
                            self._join_attacks(
                                t, (a, rows, full), a_nums, hid, b_name, label, b, xs, ys
                            )

    @staticmethod
    def _joined_key(df: pd.DataFrame, cols: list[str]) -> pd.Series:
        key = _norm(df[cols[0]])
        for x in cols[1:]:
            key = key + "\x1f" + _norm(df[x])
        return key

    def _join_attacks(self, t, sample, a_nums, hid, b_name, label, b, xs, ys) -> None:
        a, rows, full = sample
        akey = self._joined_key(a, xs)
        bkey = self._joined_key(b, ys)
        where = f"{b_name}[{label}] on {xs}={ys}"
        # counting rows of b per key
        n_rows = bkey.value_counts()
        counted = akey.map(n_rows).to_numpy(dtype=float)
        b_nums = self.numeric(b_name)
        unique = not bkey.duplicated().any()
        for c in hid:
            self._try(t, c, counted, f"count rows of {where}", rows)
            if unique:
                lookup = {m: pd.Series(_num(b[m]), index=bkey.to_numpy()) for m in b_nums}
                joined = {m: akey.map(lookup[m]).to_numpy(dtype=float) for m in b_nums}
                for m in b_nums:
                    self._try(t, c, joined[m], f"copy {where}.{m}", rows)
                    for x in a_nums:
                        if x == c:
                            continue
                        ax = _num(a[x])
                        with np.errstate(all="ignore"):
                            self._try(t, c, joined[m] * ax, f"{where}.{m} * {x}", rows)
                            self._try(t, c, ax / joined[m], f"{x} / {where}.{m}", rows)
                # totals minus parts: b holds the total of a's rows with the same key
                if c in b.columns:
                    self._margin(t, full, c, self._joined_key(full, xs), bkey, b, where)
            else:
                for m in b_nums:  # sums of b's rows per key
                    s = pd.Series(_num(b[m])).groupby(bkey.to_numpy()).sum(min_count=1)
                    bad = pd.Series(np.isnan(_num(b[m]))).groupby(bkey.to_numpy()).any()
                    s[bad] = np.nan
                    pred = akey.map(s).to_numpy(dtype=float)
                    self._try(t, c, pred, f"sum {where}.{m}", rows)

    def _margin(self, t, a, c, akey, bkey, b, where) -> None:
        total = akey.map(pd.Series(_num(b[c]), index=bkey.to_numpy())).to_numpy(dtype=float)
        shown = _num(a[c])
        part_sum = pd.Series(np.nan_to_num(shown)).groupby(akey.to_numpy()).transform("sum")
        n_hidden = pd.Series(np.isnan(shown).astype(int)).groupby(akey.to_numpy()).transform("sum")
        full = (n_hidden == 0).to_numpy()
        # the formula holds where a whole line is published
        ok = full & ~np.isnan(total)
        if ok.sum() < MIN_CHECKS:
            return
        line_total = pd.Series(total).groupby(akey.to_numpy()).transform("first").to_numpy()
        if not _close(part_sum.to_numpy()[ok], line_total[ok]).all():
            return
        pred = np.where((n_hidden == 1).to_numpy(), total - part_sum.to_numpy(), np.nan)
        rows = np.arange(len(a))
        self._score(t, c, pred, rows, np.isnan(shown), f"total {where}.{c} minus parts")

    def text(self) -> list[tuple[str, str, str]]:
        """Small counts written as text (a whole number 1-4 in a note or value cell)."""
        found = []
        pattern = re.compile(r"^\s*[1-4]\s*$")
        for t, df in self.pub.items():
            for c in self.dims(t):
                if not re.search(r"(note|comment|reason|label|evidence|text|^value$)", c):
                    continue
                for v in df[c].dropna().astype(str):
                    if pattern.match(v):
                        found.append((t, c, v))
        return found

    def run(self) -> dict[tuple[str, str, int], Recovery]:
        self.same_row()
        self.cross_table()
        return self.found
