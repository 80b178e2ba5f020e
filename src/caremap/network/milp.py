"""A thin, typed wrapper over HiGHS (highspy) for the location models.

Every model builds a sparse MILP (costs, bounds, a CSC/CSR matrix, row bounds, integrality)
and hands it to `solve_milp`, which returns the solution with HiGHS's proven dual bound and
relative gap. Tests and benchmarks can inject another solver with the same signature.

HiGHS: Huangfu & Hall (2018), "Parallelizing the dual revised simplex method",
Mathematical Programming Computation 10, 119-142; https://highs.dev.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

INF = float("inf")


def new_highs(verbose: bool = False):
    """A HiGHS instance; quiet unless ``verbose`` (HiGHS prints a banner to the C-level
    stdout when the first instance is made, before options can be set)."""
    import os
    import sys

    import highspy

    if verbose:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
    h.setOptionValue("output_flag", bool(verbose))
    return h


@dataclass(frozen=True)
class Milp:
    """min (or max) c'x subject to row_lo <= A x <= row_hi, lo <= x <= hi, x_j integer where
    ``integer[j]``."""

    c: np.ndarray
    A: sp.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    integer: np.ndarray
    maximize: bool = False
    offset: float = 0.0


@dataclass(frozen=True)
class MilpOutcome:
    """What a solver returns: ``status`` is optimal, time_limit, infeasible or error."""

    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float


Solver = Callable[..., MilpOutcome]


def relative_gap(objective: float, bound: float) -> float:
    """|objective - bound| / max(|objective|, 1e-9): HiGHS's own definition of the MIP gap."""
    if not np.isfinite(objective) or not np.isfinite(bound):
        return INF
    return abs(objective - bound) / max(abs(objective), 1e-9)


def solve_milp(
    model: Milp,
    *,
    time_limit: float = 600.0,
    mip_gap: float = 1e-9,
    start: np.ndarray | None = None,
    threads: int | None = None,
    verbose: bool = False,
    options: dict | None = None,
) -> MilpOutcome:
    """Solve ``model`` with HiGHS; ``start`` is a feasible solution to warm-start from."""
    import highspy

    t0 = time.perf_counter()
    h = new_highs(verbose)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-7)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    if threads:
        h.setOptionValue("threads", int(threads))
    A = sp.csc_matrix(model.A)
    A.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_ = int(A.shape[1])
    lp.num_row_ = int(A.shape[0])
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.asarray(model.lo, dtype=np.float64)
    lp.col_upper_ = np.asarray(model.hi, dtype=np.float64)
    lp.row_lower_ = np.asarray(model.row_lo, dtype=np.float64)
    lp.row_upper_ = np.asarray(model.row_hi, dtype=np.float64)
    lp.offset_ = float(model.offset)
    lp.sense_ = highspy.ObjSense.kMaximize if model.maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    integer = np.asarray(model.integer, dtype=bool)
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
            for b in integer
        ]
    h.passModel(lp)
    if start is not None:
        idx = np.arange(len(start), dtype=np.int32)
        h.setSolution(len(start), idx, np.asarray(start, dtype=np.float64))
    h.run()
    status = h.getModelStatus()
    S = highspy.HighsModelStatus
    info = h.getInfo()
    seconds = time.perf_counter() - t0
    if status == S.kInfeasible:
        return MilpOutcome(None, INF, INF, INF, "infeasible", seconds)
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value) if has_solution else None
    obj = float(info.objective_function_value) if has_solution else INF
    bound = float(info.mip_dual_bound) if integer.any() else obj
    name = {S.kOptimal: "optimal", S.kTimeLimit: "time_limit"}.get(status, "error")
    if name == "error" and status == S.kUnboundedOrInfeasible:
        name = "infeasible"
    gap = 0.0 if name == "optimal" and not integer.any() else relative_gap(obj, bound)
    if name == "optimal" and integer.any():
        gap = min(gap, float(info.mip_gap)) if np.isfinite(info.mip_gap) else gap
    return MilpOutcome(x, obj, bound, gap, name, seconds)
