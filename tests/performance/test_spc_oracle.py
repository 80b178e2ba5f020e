"""The vectorised rule engine agrees with a point-by-point reference (written the way
NHSRplotthedots writes its rule helpers) on random series, several at once."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caremap.core.stats import spc as S

pytestmark = pytest.mark.unit


def reference(y: np.ndarray, rules: S.Rules) -> list[str]:
    n, k_s, k_t = len(y), rules.shift_length, rules.trend_length
    mean = y.mean()
    mr = np.abs(np.diff(y))
    amr = mr.mean() if len(mr) else np.nan
    mr = mr[mr < 3.267 * amr]
    amr = mr.mean() if len(mr) else np.nan
    lpl, upl = mean - 2.66 * amr, mean + 2.66 * amr
    nl, nu = mean - 2 * 2.66 / 3 * amr, mean + 2 * 2.66 / 3 * amr
    outside = (y > upl) | (y < lpl)
    rtm = np.sign(y - mean)
    beyond = (y < nl) | (y > nu)
    counted = beyond if rules.name == "mdc2023" else beyond & ~outside
    shift_end = [
        i >= k_s - 1 and rtm[i] != 0 and all(rtm[i - j] == rtm[i] for j in range(k_s))
        for i in range(n)
    ]
    trend_end = [0] * n
    for i in range(k_t - 1, n):
        d = np.sign(np.diff(y[i - k_t + 1 : i + 1]))
        trend_end[i] = 1 if (d == 1).all() else -1 if (d == -1).all() else 0
    shift = [any(shift_end[i : i + k_s]) for i in range(n)]
    trend = [any(t != 0 for t in trend_end[i : i + k_t]) for i in range(n)]
    two3 = [False] * n
    for j in range(n - 2):
        if counted[j : j + 3].sum() >= 2 and abs(rtm[j : j + 3].sum()) == 3:
            for m in range(j, j + 3):
                two3[m] = two3[m] or bool(counted[m])
    out = []
    for i in range(n):
        side = "Above" if rtm[i] > 0 else "Below"
        if outside[i]:
            out.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif trend[i]:
            right = i + 1 < n and trend[i + 1]
            step = np.sign(y[i + 1] - y[i]) if right else np.sign(y[i] - y[i - 1])
            out.append(f"{k_t} Point Trend ({'In' if step == 1 else 'De'}creasing)")
        elif two3[i]:
            out.append(f"2 in 3 {side} CL")
        elif shift[i]:
            out.append(f"{k_s} Points {side} CL")
        else:
            out.append("Common Cause")
    return out


series = st.lists(
    st.lists(st.integers(0, 12), min_size=3, max_size=40).map(np.array),
    min_size=1,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(series, st.sampled_from(["ptd", "mdc2023"]), st.sampled_from([6, 7]))
def test_vectorised_equals_reference(groups, name, length):
    rules = S.Rules(name, shift_length=length, trend_length=length)
    groups = [g.astype(float) for g in groups]
    y = np.concatenate(groups)
    seg = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    lim = S.xmr_limits(y, seg)
    f = S.special_cause_rules(
        y, seg, lim.mean, lim.lpl, lim.upl, lim.lower_2sigma, lim.upper_2sigma, rules
    )
    got = S.special_cause_type(f, rules).tolist()
    want = [lab for g in groups for lab in reference(g, rules)]
    assert got == want
