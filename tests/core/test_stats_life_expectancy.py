"""Life expectancy (Chiang II, Silcocks) against PHEindicatormethods' testLifeExpectancy.R.

The expected values are the package's (``answer1`` and ``answer_widecis``), given to 8
decimal places. Those sheets' limits were made with z = 1.96 (the package's R test compares
them at 4 decimal places, where the exact z and 1.96 agree); here the life expectancy is
checked to the sheet's precision, e +/- 1.96 SE reproduces the sheet's limits, and the exact
limits agree to 4 decimal places, as in PHE's test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.core.stats.life_expectancy import LE_LABELS, life_expectancy, life_expectancy_table

pytestmark = pytest.mark.spec

POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209, 56416]
POPS += [46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]
DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605]
DEATHS += [1936, 1937]
VALUE = [80.16960813, 79.36245674, 75.44193645, 70.47299936, 65.52909542, 60.67510088,
         55.78835987, 50.92752727, 46.06740425, 41.24505636, 36.49322717, 31.83343842,
         27.26027992, 22.9719144, 18.76856852, 14.95858336, 11.51684445, 8.618849241,
         6.163942934, 6.16210635]  # fmt: skip
LOWER = [79.88268548, 79.0898816, 75.17407307, 70.20675732, 65.26548673, 60.41876577,
         55.53801579, 50.68279939, 45.82666794, 41.00842831, 36.26223216, 31.60996318,
         27.04337271, 22.76653134, 18.57570352, 14.77985004, 11.34831778, 8.451134045,
         5.978358351, 5.887683386]  # fmt: skip
UPPER = [80.45653078, 79.63503188, 75.70979983, 70.7392414, 65.79270412, 60.931436,
         56.03870395, 51.17225516, 46.30814055, 41.48168441, 36.72422219, 32.05691365,
         27.47718713, 23.17729746, 18.96143352, 15.13731667, 11.68537112, 8.786564437,
         6.349527517, 6.436529314]  # fmt: skip
POPS_USED = [787954, 780894, 745835, 698861, 650372, 607153, 568592, 522583, 465375, 403940,
             348339, 298130, 241714, 195303, 155483, 117505, 80466, 47178, 23872, 11936]  # fmt: skip


def test_life_expectancy_matches_phe_answer():
    r = life_expectancy(DEATHS, POPS)
    assert r.value == pytest.approx(VALUE, abs=5e-9)
    assert r.value - 1.96 * r.se == pytest.approx(LOWER, abs=5e-8)
    assert r.value + 1.96 * r.se == pytest.approx(UPPER, abs=5e-8)
    assert np.round(r.lower[0.95], 4) == pytest.approx(np.round(LOWER, 4), abs=1e-12)
    assert np.round(r.upper[0.95], 4) == pytest.approx(np.round(UPPER, 4), abs=1e-12)
    assert r.pops_used.tolist() == POPS_USED and r.deaths_used[0] == 9357
    assert r.note is None


def test_band_order_and_labels_do_not_matter():
    # testLifeExpectancy.R df2/df3: bands out of order, labels such as '10 – 14' and '90 +'.
    labels = ["0", "1-4", *[f"{a} – {a + 4}" for a in range(5, 90, 5)], "90 +"]
    perm = np.r_[0:15, 16:20, 15]
    r = life_expectancy(np.array(DEATHS)[perm], np.array(POPS)[perm], np.array(labels)[perm])
    assert r.value == pytest.approx(VALUE, abs=5e-9)


WIDE = [19.22914685, 19.44120610, 18.33467808, 14.67659995, 11.81284556, 11.63815414,
        10.05641628, 9.93152356, 11.95846561]  # fmt: skip
WIDE_LOWER = [16.43900644, 16.53437505, 15.62922550, 12.08108630, 9.21823373, 8.68414661,
              6.54020385, 4.71570153, 2.37762283, -1.60695210, -10.33328815, -17.16409724,
              -26.91715103, -45.04820928, -76.27067271, -137.12203187, -195.39453664,
              -242.37480291, -266.74198466, -298.54880400]  # fmt: skip


def test_wide_intervals_suppressed_and_bad_area_refused():
    pops = [270, 235, 246, 248, 243, 238, 246, 257, 261, 355, 350, 356, 346, 339, 337, 337]
    pops += [333, 323, 311, 311]
    deaths = [17, 9, 4, 8, 20, 15, 24, 33, 50, 51, 10, 16, 26, 30, 36, 22, 13, 5, 6, 1]
    r = life_expectancy(deaths, pops, confidence=(0.95, 0.998))
    assert r.value[:9] == pytest.approx(WIDE, abs=5e-9)
    assert np.isnan(r.value[9:]).all()  # 95% interval wider than 20 years from 40-44
    assert "from band 40-44" in r.note
    assert np.round(r.lower[0.95], 4) == pytest.approx(np.round(WIDE_LOWER, 4), abs=1e-12)
    # Area 1 of the same test has 312 deaths on 311 people aged 90+: PHE suppresses it,
    # caremap refuses it, naming the area, band and field.
    bad = [*deaths[:-1], 312]
    with pytest.raises(InputError, match=r"field 'deaths': area 'Area 1', band 90\+: more deaths"):
        life_expectancy(bad, pops, area="Area 1")


@pytest.mark.parametrize(
    "change, match",
    [
        (("deaths", 3, -5), r"'deaths': area 'A', band 10-14: deaths must be 0 or more"),
        (("pop", 5, 0), r"'population': area 'A', band 20-24: population must be greater"),
        (("drop", 19, None), r"'age_band': area 'A', missing band '90\+'"),
    ],
)
def test_phe_checks_are_errors(change, match):
    d, p, b = list(DEATHS), list(POPS), list(LE_LABELS)
    what, i, v = change
    if what == "deaths":
        d[i] = v
    elif what == "pop":
        p[i] = v
    else:
        d, p, b = d[:i], p[:i], b[:i]
    with pytest.raises(InputError, match=match):
        life_expectancy(d, p, b, area="A")


def test_small_population_suppressed_and_table():
    pops = [128, 152, 120, 176, 194, 180, 145, 149, 107, 185, 165, 109, 100, 122, 133, 189]
    pops += [123, 121, 147, 138]
    deaths = [58, 93, 78, 94, 59, 71, 80, 73, 69, 72, 91, 69, 78, 71, 54, 91, 82, 53, 50, 84]
    r = life_expectancy(deaths, pops)
    assert np.isnan(r.value).all() and "5,000 or less" in r.note
    df = pd.DataFrame(
        {"area": ["good"] * 20 + ["small"] * 20, "band": list(LE_LABELS) * 2,
         "deaths": DEATHS + deaths, "pop": POPS + pops}
    )  # fmt: skip
    t = life_expectancy_table(
        df, area="area", deaths="deaths", population="pop", age_band="band",
        confidence=(0.95, 0.998), le_age=[0, 65],
    )  # fmt: skip
    assert t["start_age"].tolist() == [0, 65, 0, 65]
    assert t["value"].iloc[0] == pytest.approx(VALUE[0], abs=5e-9)
    assert {"lower95cl", "upper99_8cl"} <= set(t.columns) and t["value"].iloc[2:].isna().all()
