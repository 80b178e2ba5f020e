"""One linkage run over a prepared ``link_input`` table: deterministic pass, Splink, clusters.

Shared by `run_link` (a caremap workspace) and `link_files` (an in-memory one). The
result is an Arrow assignment of every usable record to a cluster, with the pair and rule
that put it there, plus the model's own estimates of pairwise precision and recall.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from caremap.core.workspace import Workspace
from caremap.link.cluster import constrained_clusters
from caremap.link.config import LinkConfig
from caremap.link.evidence import nhs_conflict_rate, twin_guard_wanted
from caremap.link.prepare import EVIDENCE, deterministic_edges_sql
from caremap.link.reduce import pair_count_sql, representatives_sql
from caremap.link.splink_engine import (
    Evidence,
    SplinkBackend,
    TrainedModel,
    em_blocks,
    predict_with_model,
    train_and_score,
    usable_broad_rules,
)

REPS_VIEW = "_link_reps"

RULE_TEXT = {
    0: "no match found",
    1: "deterministic: valid NHS number + date of birth",
    2: "probabilistic",
}


@dataclass
class RunResult:
    """``assignment`` has ``uid``, ``cluster`` (lowest uid of the cluster), ``match_probability``
    and ``rule`` (see RULE_TEXT) for every usable record of this run."""

    assignment: pa.Table
    model: TrainedModel
    stats: dict[str, float] = field(default_factory=dict)
    review: pa.Table | None = None


def detect_evidence(ws: Workspace, table: str) -> Evidence:
    """Which evidence columns have any values among usable records."""
    cols = ("nhs", "ident", "given", "family", "dob", "sex", "postcode", "address", "area")
    counts = ws.sql(
        "SELECT "
        + ", ".join(f"count({c}) AS {c}" for c in cols)
        + f" FROM {table} WHERE unusable_reason IS NULL"
    ).to_pylist()[0]
    return Evidence(**{c: bool(counts[c]) for c in cols})


def _splink_input(ws: Workspace, query: str):
    if ws.engine == "spark":
        return ws.spark_sql(query)  # type: ignore[attr-defined]
    return ws.sql(query)


def _backend(ws: Workspace, config: LinkConfig) -> SplinkBackend:
    return SplinkBackend(ws.engine, config, spark=getattr(ws, "spark", None))


def run_linkage(
    ws: Workspace,
    config: LinkConfig,
    table: str = "link_input",
    *,
    model: TrainedModel | None = None,
    new_from_uid: int | None = None,
    initial: np.ndarray | None = None,
) -> RunResult:
    """Link the usable records of ``table``.

    Full run: train a model (or use ``model``) and score the candidate pairs that can change
    the clustering (see `caremap.link.reduce`). Incremental run
    (``model`` and ``new_from_uid`` given, ``initial`` the existing cluster labels): score
    only pairs that involve a record with ``uid >= new_from_uid``, with the stored model.
    """
    cols = ", ".join(EVIDENCE)
    usable = f"SELECT {cols} FROM {table} WHERE unusable_reason IS NULL"
    meta = ws.sql(f"SELECT uid, nhs, source FROM {table} ORDER BY uid")
    n = meta.num_rows
    uids = meta.column("uid").to_numpy()
    if n and not np.array_equal(uids, np.arange(n)):
        raise AssertionError(f"{table}.uid must be 0..n-1")
    backend = _backend(ws, config)
    learned: dict[str, float] = {}
    try:
        weights = np.ones(n, dtype=np.float64)
        if new_from_uid is None:
            edges, model = _full_run(ws, backend, config, table, usable, model, weights, learned)
        else:
            new_q = f"{usable} AND uid >= {int(new_from_uid or 0)}"
            old_q = f"{usable} AND uid < {int(new_from_uid or 0)}"
            has_old = int(ws.scalar(f"SELECT count(*) FROM ({old_q})")) > 0
            edges = predict_with_model(
                backend,
                model,
                _splink_input(ws, new_q),
                _splink_input(ws, old_q) if has_old else None,
                config,
            )
    finally:
        backend.close()

    det = ws.sql(deterministic_edges_sql(table)) if config.deterministic_pass else None
    if det is not None and new_from_uid is not None:
        det = det.filter(
            pc.or_(
                pc.greater_equal(det.column("uid_l"), new_from_uid),
                pc.greater_equal(det.column("uid_r"), new_from_uid),
            )
        )
    det_l = det.column("uid_l").to_numpy() if det is not None else np.zeros(0, np.int64)
    det_r = det.column("uid_r").to_numpy() if det is not None else np.zeros(0, np.int64)

    prob = edges.column("match_probability").to_numpy(zero_copy_only=False)
    guarded = edges.column("guarded").to_numpy(zero_copy_only=False).astype(bool)
    contradiction = edges.column("nhs_contradiction").to_numpy(zero_copy_only=False).astype(bool)
    conflict = edges.column("nhs_conflict").to_numpy(zero_copy_only=False).astype(bool)
    # Each scored pair stands for the record pairs of its two representatives; pairs inside
    # deterministic groups (full runs) are certain matches that were never scored.
    pw = weights[edges.column("uid_l").to_numpy()] * weights[edges.column("uid_r").to_numpy()]
    inside = 0.0
    if new_from_uid is None and len(det_r):
        k = np.bincount(det_r).astype(np.float64)
        inside = float((k * (k + 1) / 2).sum())
    threshold = (
        config.match_threshold
        if config.match_threshold is not None
        else best_threshold(prob[~guarded], pw[~guarded], inside, config.predict_floor)
    )
    accept = (
        (prob >= threshold) & ~guarded & (~conflict | (prob >= config.nhs_conflict_min_probability))
    )
    el = edges.column("uid_l").to_numpy()[accept].astype(np.int64)
    er = edges.column("uid_r").to_numpy()[accept].astype(np.int64)
    ep = prob[accept]
    econf = conflict[accept]

    nhs_codes = _codes(meta.column("nhs"))
    enc = pc.dictionary_encode(meta.column("source").combine_chunks())
    names = enc.dictionary.to_pylist()
    source_names = sorted(names)
    src_index = {s: i for i, s in enumerate(source_names)}
    if len(source_names) > 62:
        raise AssertionError("more than 62 sources")
    remap = np.array([src_index[s] for s in names], dtype=np.int64)
    src = remap[enc.indices.to_numpy(zero_copy_only=False)] if n else np.zeros(0, np.int64)
    mask = 0
    for s in config.duplicate_free_sources:
        if s in src_index:
            mask |= 1 << src_index[s]

    cl = constrained_clusters(
        n, nhs_codes, src, mask, (det_l, det_r), (el, er, ep), initial, conflict_edges=econf
    )
    assignment = pa.table(
        {
            "uid": pa.array(np.arange(n, dtype=np.int64)),
            "cluster": pa.array(cl.root),
            "match_probability": pa.array(cl.prob, from_pandas=True),
            "rule": pa.array(cl.rule.astype(np.int32)),
        }
    )
    sure = float((pw[accept] * ep).sum()) + inside
    total_p = float((pw * prob).sum()) + inside
    accepted_w = float(pw[accept].sum()) + inside
    stats = {
        "pairs_scored_above_floor": float(len(prob)),
        "pairs_accepted": float(accept.sum()),
        "match_threshold": float(threshold),
        "pairs_refused_by_guards": float(((prob >= threshold) & guarded & ~contradiction).sum()),
        # for review: another person's NHS number, or one person with two numbers
        "pairs_refused_nhs_contradiction": float(contradiction.sum()),
        "pairs_linked_despite_different_nhs_numbers": float(cl.conflict_merges),
        **learned,
        "deterministic_pairs": float(len(det_l)),
        "merges_refused": float(cl.refused),
        "merges_refused_nhs_conflict": float(cl.refused_nhs),
        "merges_refused_one_to_one": float(cl.refused_one_to_one),
        "merges_refused_existing_persons": float(cl.refused_existing),
        # The model's own estimates (Fellegi-Sunter probabilities taken at face value).
        "estimated_pairwise_precision": sure / accepted_w if accepted_w else float("nan"),
        "estimated_pairwise_recall": sure / total_p if total_p else float("nan"),
    }
    review = _review_pairs(edges, contradiction, accept & conflict, cl.root)
    return RunResult(assignment, model, stats, review)


def best_threshold(prob: np.ndarray, weight: np.ndarray, certain: float, floor: float) -> float:
    """The match threshold of highest estimated F1, from the model's own probabilities:
    accepting pairs at or above t, the expected true links are the sum of their
    probabilities, the expected matches the sum over all scored pairs (plus ``certain``
    pairs, e.g. inside deterministic groups), so estimated precision = sum p / count and
    recall = sum p / total (Fellegi-Sunter probabilities taken at face value; see Enamorado,
    Fifield and Imai 2019, "Using a probabilistic model to assist merging of large-scale
    administrative records", APSR 113(2):353-371, section 3.4)."""
    if not len(prob):
        return max(floor, 0.5)
    order = np.argsort(-prob, kind="stable")
    p, w = prob[order], weight[order]
    tp = np.cumsum(p * w) + certain
    predicted = np.cumsum(w) + certain
    total = float((p * w).sum()) + certain
    f1 = 2 * tp / (predicted + total)
    # ties: a threshold must accept every pair of the same probability
    last = np.r_[p[1:] != p[:-1], True]
    best = int(np.flatnonzero(last)[np.argmax(f1[last])])
    return float(max(floor, p[best]))


def _review_pairs(
    edges: pa.Table, contradiction: np.ndarray, linked_conflict: np.ndarray, root: np.ndarray
) -> pa.Table:
    """Pairs an analyst should look at: NHS numbers that agree on records that disagree on
    everything else (refused), and records joined despite two different valid numbers."""
    uid_l = edges.column("uid_l").to_numpy()
    uid_r = edges.column("uid_r").to_numpy()
    kept = linked_conflict & (root[uid_l] == root[uid_r])
    pick = contradiction | kept
    reason = np.where(
        contradiction[pick],
        "refused: same NHS number, name, date of birth and sex disagree",
        "linked: different valid NHS numbers, other evidence overwhelming",
    )
    return pa.table(
        {
            "uid_l": pa.array(uid_l[pick].astype(np.int64)),
            "uid_r": pa.array(uid_r[pick].astype(np.int64)),
            "match_probability": edges.column("match_probability").filter(pa.array(pick)),
            "reason": pa.array(reason.astype(object), pa.string()),
        }
    )


def _full_run(
    ws: Workspace,
    backend: SplinkBackend,
    config: LinkConfig,
    table: str,
    usable: str,
    model: TrainedModel | None,
    weights: np.ndarray,
    learned: dict[str, float],
) -> tuple[pa.Table, TrainedModel]:
    """Train (unless ``model`` is given) on all usable records and score the pairs of
    representatives that can change the clustering (see `caremap.link.reduce`); sets
    ``weights[uid]`` to the number of records each representative stands for."""
    ev = model.evidence if model is not None else detect_evidence(ws, table)
    n_usable = int(ws.scalar(f"SELECT count(*) FROM {table} WHERE unusable_reason IS NULL"))
    if n_usable < 2:
        return _empty_edges(), model or TrainedModel(json.dumps({}), ev)
    reps_q = representatives_sql(
        table, config.duplicate_free_sources, deterministic=config.deterministic_pass
    )
    shares = [
        em_share(int(ws.scalar(pair_count_sql(usable, cols))), config.em_max_pairs)
        for cols in em_blocks(ev)
    ]
    # DuckDB: compute the representatives once (counted here, then handed to Splink).
    reps = ws.sql(reps_q) if ws.engine == "duckdb" else None
    counts = reps if reps is not None else ws.sql(f"SELECT uid, n_variant FROM ({reps_q}) x")
    weights[counts.column("uid").to_numpy()] = counts.column("n_variant").to_numpy()
    if reps is not None:
        ws.register_temp(REPS_VIEW, reps)
    try:
        rel = f"SELECT * FROM {REPS_VIEW}" if reps is not None else reps_q
        n_reps = int(ws.scalar(f"SELECT count(*) FROM ({rel}) x"))
        # cheapest first, while the broad rules together stay within the budget
        budget = min(config.broad_rule_pairs_per_record * n_reps, config.broad_rule_max_pairs)
        costs = sorted(
            (int(ws.scalar(pair_count_sql(rel, cols))), i, cols)
            for i, cols in enumerate(usable_broad_rules(ev))
        )
        chosen, spent = [], 0
        for pairs, _, cols in costs:
            if spent + pairs <= budget:
                chosen.append(cols)
                spent += pairs
        broad = tuple(chosen)
    finally:
        if reps is not None:
            ws.unregister_temp(REPS_VIEW)
    conflict_m = nhs_conflict_rate(ws, table) if ev.nhs and model is None else None
    guard = config.twin_guard
    if guard is None:
        guard = bool(twin_guard_wanted(ws, table))
    learned["broad_blocking_rules"] = float(len(broad))
    learned["twin_guard_on"] = float(guard)
    if conflict_m is not None:
        learned["estimated_nhs_conflict_m"] = conflict_m
    return train_and_score(
        backend,
        _splink_input(ws, usable),
        reps if reps is not None else _splink_input(ws, reps_q),
        ev,
        config,
        model=model,
        em_proportions=shares,
        broad=broad,
        nhs_conflict_m=conflict_m,
        guard_twins=guard,
    )


def em_share(pairs: int, budget: float) -> float:
    """1 when an EM block's ``pairs`` fit the ``budget``, else the share of records whose
    pairs number about ``budget`` (pairs grow with the square of the records sampled)."""
    if pairs <= budget:
        return 1.0
    return max(0.001, float(np.sqrt(budget / pairs)))


def _codes(col: pa.ChunkedArray) -> np.ndarray:
    """0 for null, else 1 + dictionary index (distinct NHS numbers get distinct codes)."""
    enc = pc.dictionary_encode(col.combine_chunks())
    idx = enc.indices.to_numpy(zero_copy_only=False)
    valid = enc.indices.is_valid().to_numpy(zero_copy_only=False)
    out = np.zeros(len(col), dtype=np.int64)
    out[valid] = idx[valid].astype(np.int64) + 1
    return out


def _empty_edges() -> pa.Table:
    return pa.table(
        {
            "uid_l": pa.array([], pa.int64()),
            "uid_r": pa.array([], pa.int64()),
            "match_probability": pa.array([], pa.float64()),
            "match_weight": pa.array([], pa.float64()),
            "guarded": pa.array([], pa.bool_()),
            "nhs_contradiction": pa.array([], pa.bool_()),
            "nhs_conflict": pa.array([], pa.bool_()),
        }
    )
