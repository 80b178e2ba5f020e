"""`spc_frame` and `spc_table`: validation, grouping, rebasing, trial limits and summaries."""

import warnings

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import ConfigError, InputError
from caremap.performance.spc import SpcConfig, SpcStepConfig, spc_frame, spc_table

pytestmark = pytest.mark.unit


def _frame(n=24, groups=("a", "b")):
    rng = np.random.default_rng(0)
    rows = []
    for g in groups:
        for i in range(n):
            rows.append(
                {
                    "g": g,
                    "d": pd.Timestamp("2020-01-01") + pd.DateOffset(months=i),
                    "v": rng.normal(10, 1) + (5 if i >= n // 2 else 0),
                    "x": int(rng.integers(5, 20)),
                    "n": 100,
                }
            )
    return pd.DataFrame(rows)


def test_groups_and_shift_detected():
    pts, summ, notes = spc_frame(_frame(), SpcConfig(date="d", value="v", group=["g"]))
    assert len(summ) == 2 and not notes
    assert pts["rule_shift"].any()
    assert set(summ["variation_icon"]) <= {"improvement_high", "common_cause"}


def test_rebase_gives_new_limits():
    df = _frame()
    cfg = SpcConfig(date="d", value="v", group=["g"], rebase=["2021-01-01"])
    pts, summ, _ = spc_frame(df, cfg)
    a = pts[pts["series"] == "a"]
    assert a["rebase_group"].tolist() == [0] * 12 + [1] * 12
    assert a["mean"].nunique() == 2
    assert (summ["n"] == 12).all()


def test_short_series_get_trial_limits_and_a_warning():
    with pytest.warns(UserWarning, match="fewer than 12"):
        pts, summ, _notes = spc_frame(_frame(n=8), SpcConfig(date="d", value="v", group=["g"]))
    assert pts["trial_limits"].all() and summ["trial_limits"].all()


def test_duplicate_dates_are_named():
    df = _frame()
    df.loc[1, "d"] = df.loc[0, "d"]
    with pytest.raises(InputError, match="duplicate dates within a series in rows 2, 3"):
        spc_frame(df, SpcConfig(date="d", value="v", group=["g"]), file="x.csv")


def test_missing_and_zero_denominators_are_named():
    df = _frame()
    df.loc[4, "n"] = 0
    with pytest.raises(InputError, match="zero or negative denominator in rows 6"):
        spc_frame(df, SpcConfig(date="d", numerator="x", denominator="n", chart="p", group=["g"]))
    df.loc[4, "n"] = 100
    df.loc[5, "x"] = -1
    with pytest.raises(InputError, match="negative count in rows 7"):
        spc_frame(df, SpcConfig(date="d", numerator="x", denominator="n", chart="u", group=["g"]))


def test_config_problems_listed_together():
    with pytest.raises(ConfigError, match=r"needs `numerator` and `denominator`.*no column"):
        spc_frame(_frame(), SpcConfig(date="d", chart="p", group=["zz"]))


def test_p_chart_with_laney():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pts, _summ, _ = spc_frame(
            _frame(), SpcConfig(date="d", numerator="x", denominator="n", chart="p", group=["g"])
        )
    assert pts["sigma_z"].notna().all()
    assert (pts["lpl"] >= 0).all() and (pts["upl"] <= 1).all()


def test_spc_table_replaces_only_its_source(ws):
    ws.write_table("m", _frame())
    ws.write_table("m1", _frame(groups=("a",)))
    spc_table(ws, SpcStepConfig(table="m", date="d", value="v", group=["g"], source="one"))
    spc_table(ws, SpcStepConfig(table="m1", date="d", value="v", source="two"))
    spc_table(ws, SpcStepConfig(table="m", date="d", value="v", group=["g"], source="one"))
    got = ws.df("SELECT source, count(*) AS n FROM spc_summary GROUP BY 1 ORDER BY 1")
    assert got.to_dict("list") == {"source": ["one", "two"], "n": [2, 1]}
