"""Statistical process control: XmR charts with the NHS "Making Data Count" rules, vectorised.

Every function works on many series at once. Points arrive sorted by series and date, with
``segment`` an integer per point that is the same for consecutive points of one series and
one rebase period; all statistics are computed per segment with NumPy (no Python loop over
series), so a few hundred series take a few milliseconds.

Sources and behaviour:

* XmR limits: mean +/- 2.66 x mean moving range (Wheeler, *Understanding Variation*, 1993;
  NHS England/Improvement, *Making Data Count*, 2019/2021). Optional screening drops moving
  ranges >= 3.267 x their mean before the average is recomputed (Nelson 1982, as in
  NHSRplotthedots ``ptd_spc_standard``). ``fix_after_n`` computes the mean and moving range
  from the first n points of each segment only. Two-sigma lines are at 2/3 of 2.66.
* Special-cause rules, exactly as NHSRplotthedots (``ptd_calculate_point_type``): a point
  outside the limits; a *shift* of ``shift_length`` (7) points on one side of the mean (a
  point exactly on the mean breaks it); a *trend* of ``trend_length`` (7) points each
  strictly above (or below) the previous one (ties break it); *two in three*: in a window
  of three consecutive points all on the same side of the mean, two or more lie between
  the two- and three-sigma lines, and those points are flagged. Rules apply within a
  segment, never across a rebase.
* Rule set ``mdc2023`` (Making Data Count, November 2023 revision): identical, except that
  points beyond the three-sigma limits also count towards two-in-three.
* Label precedence (one label per point): outside the limits > trend > two in three >
  shift > common cause; labels read as in NHSRplotthedots ("Above UCL", "7 Point Trend
  (Increasing)", "2 in 3 Above CL", "7 Points Above CL", "Common Cause"). A trend point's
  direction comes from the step to the next point when both are in the trend, otherwise
  from the step into it.
* Variation icon of the latest point and assurance icon against a target follow
  NHSRplotthedots (``ptd_calculate_assurance_type``): target beyond the upper limit means
  consistently failing an increasing measure (passing a decreasing one), beyond the lower
  limit the reverse, otherwise hit and miss; none for a neutral measure.
* p- and u-charts with Laney's adjustment: Laney D.B. (2002) "Improved control charts for
  attributes", *Quality Engineering* 14(4):531-537. Within-point sigma sqrt(p(1-p)/n) or
  sqrt(u/n), multiplied by sigma_z = mean moving range of the z-scores / 1.128.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

LIMIT = 2.66
CLOSE = 2 * LIMIT / 3
SCREEN = 3.267
D2 = 1.128
MIN_POINTS = 12  # NHSRplotthedots warns below 12 points (``ptd_add_short_group_warnings``)

RuleSetName = Literal["ptd", "mdc2023"]
Direction = Literal["increase", "decrease", "neutral"]


@dataclass(frozen=True)
class Rules:
    """Which special-cause rules apply, and their lengths."""

    name: RuleSetName = "ptd"
    shift_length: int = 7
    trend_length: int = 7

    @property
    def beyond_counts_in_two_of_three(self) -> bool:
        return self.name == "mdc2023"


# --- segment helpers -----------------------------------------------------------------------


def segment_starts(segment: np.ndarray) -> np.ndarray:
    """True at the first point of each segment."""
    s = np.ones(len(segment), dtype=bool)
    if len(segment) > 1:
        s[1:] = segment[1:] != segment[:-1]
    return s


def position_in_segment(segment: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each segment."""
    idx = np.arange(len(segment))
    first = np.maximum.accumulate(np.where(segment_starts(segment), idx, 0))
    return idx - first


def _seg_nanmean(values: np.ndarray, seg: np.ndarray, nseg: int) -> np.ndarray:
    ok = ~np.isnan(values)
    total = np.bincount(seg[ok], weights=values[ok], minlength=nseg)
    count = np.bincount(seg[ok], minlength=nseg)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _run_lengths(key: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Length of the run of equal ``key`` values that each point belongs to."""
    brk = starts.copy()
    brk[1:] |= key[1:] != key[:-1]
    run = np.cumsum(brk) - 1
    return np.bincount(run)[run]


# --- XmR limits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Per-point centre line and limits (arrays aligned with the input points)."""

    mean: np.ndarray
    lpl: np.ndarray
    upl: np.ndarray
    lower_2sigma: np.ndarray
    upper_2sigma: np.ndarray
    n_in_segment: np.ndarray


def xmr_limits(
    y: np.ndarray,
    segment: np.ndarray,
    *,
    fix_after_n: int | None = None,
    screen_outliers: bool = True,
) -> Limits:
    """XmR process limits per segment (see module docstring)."""
    y = np.asarray(y, dtype=float)
    seg = np.asarray(segment)
    _, seg = np.unique(seg, return_inverse=True)
    nseg = int(seg.max()) + 1 if len(seg) else 0
    starts = segment_starts(seg)
    pos = position_in_segment(seg)
    fix_y = y if fix_after_n is None else np.where(pos < fix_after_n, y, np.nan)
    mean = _seg_nanmean(fix_y, seg, nseg)
    mr = np.full(len(y), np.nan)
    mr[1:] = np.abs(np.diff(fix_y))
    mr[starts] = np.nan
    amr = _seg_nanmean(mr, seg, nseg)
    if screen_outliers:
        with np.errstate(invalid="ignore"):
            mr = np.where(mr < SCREEN * amr[seg], mr, np.nan)
        amr = _seg_nanmean(mr, seg, nseg)
    m, a = mean[seg], amr[seg]
    n = np.bincount(seg, minlength=nseg)[seg]
    return Limits(m, m - LIMIT * a, m + LIMIT * a, m - CLOSE * a, m + CLOSE * a, n)


# --- special-cause rules -------------------------------------------------------------------


@dataclass(frozen=True)
class RuleFlags:
    outside: np.ndarray
    relative_to_mean: np.ndarray
    close: np.ndarray
    shift: np.ndarray
    trend: np.ndarray
    trend_direction: np.ndarray
    two_in_three: np.ndarray


def special_cause_rules(
    y: np.ndarray,
    segment: np.ndarray,
    mean: np.ndarray,
    lpl: np.ndarray,
    upl: np.ndarray,
    lower_2sigma: np.ndarray,
    upper_2sigma: np.ndarray,
    rules: Rules = Rules(),
) -> RuleFlags:
    """Evaluate every rule for every point; limits may vary by point (p- and u-charts)."""
    y = np.asarray(y, dtype=float)
    seg = np.asarray(segment)
    n = len(y)
    starts = segment_starts(seg)
    with np.errstate(invalid="ignore"):
        outside = (y > upl) | (y < lpl)
        rtm = np.sign(y - mean)
        beyond2 = (y < lower_2sigma) | (y > upper_2sigma)
    rtm = np.nan_to_num(rtm)
    close = beyond2 & ~outside
    counted = beyond2 if rules.beyond_counts_in_two_of_three else close

    # shift: runs of equal, non-zero side of the mean
    shift = (rtm != 0) & (_run_lengths(rtm, starts) >= rules.shift_length)

    # trend: runs of equal, non-zero step signs; a run of k steps covers k + 1 points
    step = np.zeros(n)
    if n > 1:
        step[1:] = np.sign(np.diff(y))
    step[starts] = 0
    step = np.nan_to_num(step)
    in_run = (step != 0) & (_run_lengths(step, starts) >= rules.trend_length - 1)
    trend = in_run.copy()
    trend[:-1] |= in_run[1:]
    # direction: the step to the next point if it is in the trend too, else the step into it
    nxt = np.zeros(n)
    nxt[:-1] = step[1:]
    use_next = np.zeros(n, dtype=bool)
    use_next[:-1] = trend[1:] & trend[:-1] & ~starts[1:]
    trend_dir = np.where(trend, np.where(use_next, nxt, step), 0)

    # two in three: windows of three consecutive points within a segment
    two3 = np.zeros(n, dtype=bool)
    if n >= 3:
        c = counted.astype(int)
        same_seg = ~starts[1:-1] & ~starts[2:]
        q = (
            same_seg
            & (c[:-2] + c[1:-1] + c[2:] >= 2)
            & (np.abs(rtm[:-2] + rtm[1:-1] + rtm[2:]) == 3)
        )
        hit = np.zeros(n, dtype=bool)
        hit[:-2] |= q
        hit[1:-1] |= q
        hit[2:] |= q
        two3 = hit & counted
    return RuleFlags(outside, rtm, close, shift, trend, trend_dir, two3)


# label codes: 0 common cause; 1/2 outside above/below; 3/4 trend up/down; 5/6 two in three
# above/below; 7/8 shift above/below. Odd codes point up, even codes (but 0) point down.
def special_cause_code(flags: RuleFlags) -> np.ndarray:
    """One integer label per point, by the precedence in the module docstring."""
    below = (flags.relative_to_mean <= 0).astype(np.int8)
    down = (flags.trend_direction <= 0).astype(np.int8)
    return np.select(
        [flags.outside, flags.trend, flags.two_in_three, flags.shift],
        [1 + below, 3 + down, 5 + below, 7 + below],
        default=0,
    ).astype(np.int8)


def label_names(rules: Rules = Rules()) -> np.ndarray:
    t, s = rules.trend_length, rules.shift_length
    return np.array(
        [
            "Common Cause",
            "Above UCL",
            "Below LCL",
            f"{t} Point Trend (Increasing)",
            f"{t} Point Trend (Decreasing)",
            "2 in 3 Above CL",
            "2 in 3 Below CL",
            f"{s} Points Above CL",
            f"{s} Points Below CL",
        ],
        dtype=object,
    )


def special_cause_type(flags: RuleFlags, rules: Rules = Rules()) -> np.ndarray:
    """One label per point (as NHSRplotthedots writes them), by the precedence above."""
    return label_names(rules)[special_cause_code(flags)]


def code_direction(code: np.ndarray) -> np.ndarray:
    """+1 for codes that point up (Above/Increasing), -1 down, 0 common cause."""
    code = np.asarray(code)
    return np.where(code == 0, 0, np.where(code % 2 == 1, 1, -1))


def label_direction(labels: np.ndarray) -> np.ndarray:
    """+1 for labels that point up (Above/Increasing), -1 down, 0 common cause."""
    lab = np.asarray(labels, dtype=str)
    up = (np.char.find(lab, "Above") >= 0) | (np.char.find(lab, "Increasing") >= 0)
    down = (np.char.find(lab, "Below") >= 0) | (np.char.find(lab, "Decreasing") >= 0)
    return np.where(up, 1, np.where(down, -1, 0))


POINT_TYPES = np.array(
    [
        "common_cause",
        "special_cause_improvement",
        "special_cause_concern",
        "special_cause_neutral_high",
        "special_cause_neutral_low",
    ],
    dtype=object,
)


def point_type_from_direction(v: np.ndarray, improvement: np.ndarray | int) -> np.ndarray:
    imp = np.broadcast_to(np.asarray(improvement), np.shape(v))
    oriented = v * imp
    idx = np.select(
        [(imp == 0) & (v > 0), (imp == 0) & (v < 0), oriented > 0, oriented < 0],
        [3, 4, 1, 2],
        default=0,
    )
    return POINT_TYPES[idx]


def point_type(labels: np.ndarray, improvement: np.ndarray | int) -> np.ndarray:
    """common_cause, special_cause_improvement/concern, or special_cause_neutral_high/low.

    ``improvement`` is +1 (increase is better), -1 (decrease is better) or 0 (neutral),
    per point or for all points.
    """
    return point_type_from_direction(label_direction(labels), improvement)


def variation_icon(point_type_latest: str, direction_latest: int) -> str:
    """Making Data Count variation icon for the latest point."""
    if point_type_latest == "common_cause":
        return "common_cause"
    side = "high" if direction_latest > 0 else "low"
    if point_type_latest.startswith("special_cause_neutral"):
        return f"neutral_{side}"
    kind = "improvement" if point_type_latest == "special_cause_improvement" else "concern"
    return f"{kind}_{side}"


def assurance(target: float | None, lpl: float, upl: float, direction: Direction) -> str | None:
    """consistent_pass, consistent_fail or inconsistent (hit and miss); None when neutral."""
    if target is None or np.isnan(target) or direction == "neutral":
        return None
    if np.isnan(lpl) or np.isnan(upl):
        return None
    inc = direction == "increase"
    if target > upl:
        return "consistent_fail" if inc else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if inc else "consistent_fail"
    return "inconsistent"


IMPROVEMENT = {"increase": 1, "decrease": -1, "neutral": 0}


# --- attribute charts with Laney's adjustment ----------------------------------------------


def attribute_limits(
    count: np.ndarray,
    size: np.ndarray,
    segment: np.ndarray,
    *,
    chart: Literal["p", "u"],
    laney: bool = True,
) -> tuple[np.ndarray, Limits, np.ndarray]:
    """p-chart (proportion) or u-chart (rate) limits per point, with Laney's sigma_z.

    Returns (the plotted value count/size, the limits, sigma_z per point). Without
    ``laney`` sigma_z is 1 (the classical p- or u-chart). Limits of a p-chart are clipped
    to [0, 1] and those of a u-chart at 0.
    """
    x = np.asarray(count, dtype=float)
    n = np.asarray(size, dtype=float)
    seg = np.asarray(segment)
    _, seg = np.unique(seg, return_inverse=True)
    nseg = int(seg.max()) + 1 if len(seg) else 0
    value = x / n
    centre = (np.bincount(seg, weights=x, minlength=nseg) / np.bincount(seg, weights=n))[seg]
    sigma = np.sqrt(centre * (1 - centre) / n) if chart == "p" else np.sqrt(centre / n)
    sigma_z = np.ones(len(x))
    if laney:
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (value - centre) / sigma
        mr = np.full(len(z), np.nan)
        mr[1:] = np.abs(np.diff(z))
        mr[segment_starts(seg)] = np.nan
        sigma_z = _seg_nanmean(mr, seg, nseg)[seg] / D2
    s = sigma * sigma_z
    lo, hi = centre - 3 * s, centre + 3 * s
    lo2, hi2 = centre - 2 * s, centre + 2 * s
    lo, lo2 = np.maximum(lo, 0), np.maximum(lo2, 0)
    if chart == "p":
        hi, hi2 = np.minimum(hi, 1), np.minimum(hi2, 1)
    counts = np.bincount(seg, minlength=nseg)[seg]
    return value, Limits(centre, lo, hi, lo2, hi2, counts), sigma_z
