"""Disclosure control: primary and secondary suppression (Willenborg and de Waal 2001, 4.2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caremap.app.suppression import (
    classify_columns,
    line_groupings,
    primary_mask,
    secondary_mask,
    suppress,
)

pytestmark = pytest.mark.unit

ROLES_1D = classify_columns({"area": "VARCHAR", "n": "BIGINT"})


def test_primary_hides_one_to_four_and_keeps_zero_and_nan():
    v = np.array([0, 1, 4, 5, 100, np.nan])
    assert primary_mask(v, 5).tolist() == [False, True, True, False, False, False]


def test_lone_hidden_cell_gets_a_complement_smallest_nonzero():
    df = pd.DataFrame({"area": list("abcde"), "n": [3, 50, 0, 7, 90]})
    out, masks = suppress(df, ROLES_1D, 5)
    assert masks["n"].tolist() == [True, False, False, True, False]  # 7, not the zero
    assert out["n"].tolist()[1] == 50 and out["n"].tolist()[0] is None


def test_two_hidden_cells_need_no_complement():
    df = pd.DataFrame({"area": list("abcd"), "n": [3, 2, 60, 70]})
    _, masks = suppress(df, ROLES_1D, 5)
    assert masks["n"].tolist() == [True, True, False, False]


def test_zero_is_used_only_when_no_nonzero_cell_is_left():
    df = pd.DataFrame({"area": list("ab"), "n": [3, 0]})
    _, masks = suppress(df, ROLES_1D, 5)
    assert masks["n"].tolist() == [True, True]


def test_rates_on_a_hidden_row_are_hidden_too():
    roles = classify_columns(
        {
            "area": "VARCHAR",
            "numerator": "BIGINT",
            "denominator": "BIGINT",
            "value": "DOUBLE",
            "easting": "DOUBLE",
        }
    )
    df = pd.DataFrame(
        {
            "area": list("abc"),
            "numerator": [2, 40, 50],
            "denominator": [1000, 1000, 1000],
            "value": [2.0, 40.0, 50.0],
            "easting": [1.0, 2.0, 3.0],
        }
    )
    out, _ = suppress(df, roles, 5)
    assert out["value"].isna().tolist() == [True, True, False]
    assert out["easting"].notna().all()  # coordinates are not derived from counts


def test_column_roles_err_on_the_safe_side():
    roles = classify_columns(
        {
            "year": "INTEGER",
            "rank": "BIGINT",
            "beds": "INTEGER",
            "admissions": "DOUBLE",
            "rate": "DOUBLE",
            "area_code": "VARCHAR",
            "northing": "DOUBLE",
        }
    )
    assert roles.dims == ("year", "rank", "area_code")
    assert set(roles.counts) == {"beds", "admissions"}  # unknown integers count as counts
    assert roles.measures == ("rate",)


def test_two_way_table_protects_rows_and_columns():
    """A 2-D table: each row line and column line ends with 0 or >= 2 hidden cells."""
    df = pd.DataFrame(
        [
            (r, c, v)
            for r, row in zip("abc", [[3, 20, 30], [40, 50, 60], [70, 80, 90]], strict=True)
            for c, v in zip("xyz", row, strict=True)
        ],
        columns=["area", "age", "n"],
    )
    roles = classify_columns({"area": "VARCHAR", "age": "VARCHAR", "n": "BIGINT"})
    _, masks = suppress(df, roles, 5)
    grid = masks["n"].reshape(3, 3)
    assert grid[0, 0]
    for line in [*grid, *grid.T]:
        assert line.sum() != 1


def test_an_alias_column_does_not_split_the_lines():
    """area_name renames area_code: lines still run across areas."""
    df = pd.DataFrame({"area_code": list("abc"), "area_name": ["A", "B", "C"], "n": [2, 30, 40]})
    groups = line_groupings(df, ("area_code", "area_name"))
    assert [] in groups
    roles = classify_columns({"area_code": "VARCHAR", "area_name": "VARCHAR", "n": "BIGINT"})
    _, masks = suppress(df, roles, 5)
    assert masks["n"].sum() == 2


def test_nested_areas_protect_the_parent_subtotals():
    """Small areas within localities: the locality subtotal cannot reveal a cell either."""
    df = pd.DataFrame(
        {"area": list("abcdef"), "locality": list("LLLMMM"), "n": [2, 30, 40, 50, 60, 70]}
    )
    roles = classify_columns({"area": "VARCHAR", "locality": "VARCHAR", "n": "BIGINT"})
    _, masks = suppress(df, roles, 5)
    assert masks["n"][:3].sum() == 2  # the complement is inside locality L


counts = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(values=counts, threshold=st.integers(min_value=2, max_value=10))
def test_no_hidden_cell_is_recoverable_from_a_1d_total(values, threshold):
    """Property: with the line total published, subtraction never isolates a hidden cell,
    and every primary cell stays hidden."""
    df = pd.DataFrame({"area": [f"a{i}" for i in range(len(values))], "n": values})
    out, masks = suppress(df, ROLES_1D, threshold)
    hidden = masks["n"]
    v = np.array(values)
    assert hidden[(v > 0) & (v < threshold)].all()
    total = int(v.sum())
    visible = sum(x for x, h in zip(values, hidden, strict=True) if not h)
    unknown = total - visible  # what an attacker learns: the sum of the hidden cells
    # a one-cell line's total is the cell itself, suppressed wherever it is published
    if hidden.sum() == 1 and len(values) > 1:
        pytest.fail(f"lone hidden cell recoverable: total {total} - visible {visible}")
    if hidden.any() and len(values) > 1:
        # several hidden cells share the remainder: at least two are positive or unknown
        assert hidden.sum() >= 2 and unknown == int(v[hidden].sum())
    assert out["n"].isna().sum() == hidden.sum()


@settings(max_examples=40, deadline=None)
@given(
    grid=st.lists(
        st.lists(st.integers(0, 40), min_size=2, max_size=5), min_size=2, max_size=5
    ).filter(lambda g: len({len(r) for r in g}) == 1)
)
def test_no_line_of_a_2d_table_has_a_lone_hidden_cell(grid):
    rows = [(f"r{i}", f"c{j}", v) for i, row in enumerate(grid) for j, v in enumerate(row)]
    df = pd.DataFrame(rows, columns=["r", "c", "n"])
    roles = classify_columns({"r": "VARCHAR", "c": "VARCHAR", "n": "BIGINT"})
    _, masks = suppress(df, roles, 5)
    m = masks["n"].reshape(len(grid), len(grid[0]))
    for line in [*m, *m.T]:
        assert line.sum() != 1


def test_secondary_mask_leaves_clean_groups_alone():
    v = np.array([10.0, 20.0, 30.0])
    assert not secondary_mask(v, np.zeros(3, bool), [np.zeros(3, dtype=np.int64)]).any()


def test_free_text_and_money_do_not_change_the_lines():
    roles = classify_columns(
        {
            "indicator": "VARCHAR",
            "area_code": "VARCHAR",
            "note": "VARCHAR",
            "numerator": "DOUBLE",
            "budget_pence": "BIGINT",
            "criteria": "BIGINT",
        }
    )
    assert roles.dims == ("indicator", "area_code")
    assert roles.measures == ("budget_pence",)
    assert set(roles.other) == {"note", "criteria"}


def test_repeated_counts_get_the_same_complement_whatever_the_row_order():
    """A long table repeats each count per method; both methods must hide the same cells."""
    areas = ["a", "b", "c", "d"]
    counts_ = [3, 9, 9, 40]
    df = pd.DataFrame(
        {
            "method": ["count"] * 4 + ["rate"] * 4,
            "area": areas + areas[::-1],
            "n": counts_ + counts_[::-1],
        }
    )
    roles = classify_columns({"method": "VARCHAR", "area": "VARCHAR", "n": "BIGINT"})
    out, _ = suppress(df, roles, 5)
    hidden = {
        (m, a) for m, a, n in out[["method", "area", "n"]].itertuples(index=False) if pd.isna(n)
    }
    assert {a for m, a in hidden if m == "count"} == {a for m, a in hidden if m == "rate"}
    assert len(hidden) == 4
