"""`run_risk_score(ws, config)`: everyone's risk, tier and top contributing factors, and the lists.

Scores every person alive at the index date (people with no activity too, from
demographics, deprivation and conditions) with a saved model, after checking that the
workspace's features match the model's (`caremap.risk.registry.check_compatible`).

Writes:

* ``risk_features``: the features at the index date;
* ``risk_score``: person_id, score (probability of an emergency admission in the next 12
  months), rank, tier, and the top contributing factors (features that raise the person's
  log-odds most: model coefficients times the person's difference from average for the
  logistic model, TreeSHAP for LightGBM) for the people in ``config.explain_tiers``
  (default: the caseload tiers);
* ``risk_tier_summary``: the pyramid (people, share, mean risk, expected people admitted);
* ``risk_tier_locality``: people in each tier by locality;
* ``risk_caseload``: the people in the caseload tiers, with locality, GP practice, their
  rank within each and their top factors: one list per locality and per practice.

Tiers follow the Kaiser Permanente triangle of case management, supported self-management
and prevention (Department of Health 2005, "Supporting people with long term conditions: an
NHS and social care model"), by shares of the population ranked by risk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from caremap.core.errors import WorkspaceError
from caremap.core.result import StepResult
from caremap.core.sql import quote_str
from caremap.core.workspace import Workspace
from caremap.risk import registry
from caremap.risk.config import FeatureConfig, RiskConfig
from caremap.risk.features import FEATURE_NAMES, LABELS, feature_sql, locality_source
from caremap.risk.train import activity_span, fetch, require_inputs

MIN_PEOPLE_FOR_PROFILE = 200


TABLES = ("risk_features", "risk_score", "risk_tier_summary", "risk_tier_locality", "risk_caseload")


@dataclass(frozen=True)
class RiskScoreResult(StepResult):
    """Who was scored with which model, the tier pyramid and the caseload size."""

    model_id: str
    index_date: date
    people: int
    tiers: list[dict] = field(default_factory=list)
    caseload: int = 0


def assign_tiers(
    score: np.ndarray, ids: np.ndarray, config: RiskConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(rank, tier position) for each person: rank 1 is the highest score (ties: lower id)."""
    n = len(score)
    order = np.lexsort((ids, -score))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    tier = np.full(n, len(config.tiers) - 1, dtype=np.int64)
    for i in range(len(config.tiers) - 1, -1, -1):
        cut = math.ceil(config.tiers[i].top_share * n - 1e-9)
        tier[rank <= cut] = i
    return rank, tier


def top_factors(contrib: np.ndarray, k: int, rows: np.ndarray, n: int) -> list[pa.Array]:
    """The ``k`` features with the largest positive contribution for each person.

    ``contrib`` holds the contributions of people ``rows`` (indices into ``n`` people); the
    others get no factors."""
    k = min(k, contrib.shape[1])
    idx = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    vals = np.take_along_axis(contrib, idx, axis=1)
    labels = np.array([LABELS[f] for f in FEATURE_NAMES], dtype=object)
    out = []
    for j in range(k):
        names = np.full(n, None, dtype=object)
        names[rows] = np.where(vals[:, j] > 0, labels[idx[:, j]], None)
        out.append(pa.array(names, pa.string()))
    return out


def join_factors(factors: list[pa.Array]) -> pa.Array:
    """``"a; b; c"`` per person (factors are ordered, so a missing one ends the list)."""
    acc = factors[0]
    for f in factors[1:]:
        acc = pc.if_else(pc.is_null(f), acc, pc.binary_join_element_wise(acc, f, "; "))
    return acc


def run_risk_score(
    ws: Workspace, config: RiskConfig | None = None, model: dict | None = None
) -> RiskScoreResult:
    """Score the workspace with ``model`` (a saved model document) or the latest saved one."""
    config = config or RiskConfig()
    require_inputs(ws)
    doc = model or registry.load(ws, kind=config.model)
    fc = FeatureConfig(**doc["feature_config"])
    index = config.score_index or activity_span(ws)[1] + timedelta(days=1)
    ws.create_table_as("risk_features", feature_sql(index, fc))
    ids, x, _ = fetch(ws, "risk_features", with_outcome=False)
    if len(ids) == 0:
        raise WorkspaceError(f"no living people in the person table at {index}; run `caremap link`")
    profile = registry.feature_profile(x, FEATURE_NAMES)
    if len(ids) < MIN_PEOPLE_FOR_PROFILE:
        profile = {}
    registry.check_compatible(doc, FEATURE_NAMES, profile, f"workspace {ws.path}")
    m = registry.model_of(doc)
    p = m.predict(x)
    rank, tier = assign_tiers(p, ids, config)
    explain = [i for i, t in enumerate(config.tiers) if t.name in config.explained()]
    rows = np.flatnonzero(np.isin(tier, explain))
    contrib = m.contributions(x[rows])
    tier_names = np.array([t.name for t in config.tiers], dtype=object)
    cols = {
        "person_id": pa.array(ids, pa.int64()),
        "index_date": pa.array(np.full(len(ids), index), pa.date32()),
        "model_id": pa.array(np.full(len(ids), doc["model_id"], dtype=object), pa.string()),
        "score": pa.array(p, pa.float64()),
        "rank": pa.array(rank, pa.int64()),
        "tier": pa.array(tier_names[tier], pa.string()),
        "tier_order": pa.array(tier + 1, pa.int32()),
    }
    factors = top_factors(contrib, config.top_factors, rows, len(ids))
    for j, arr in enumerate(factors, 1):
        cols[f"factor_{j}"] = arr
    cols["top_factors"] = join_factors(factors)
    table = pa.table(cols)
    with ws.transaction():
        ws.write_table("risk_score", table)
        _write_lists(ws, config)
    tiers = ws.sql("SELECT * FROM risk_tier_summary ORDER BY tier_order").to_pylist()
    return RiskScoreResult(
        model_id=doc["model_id"],
        index_date=index,
        people=len(ids),
        tiers=tiers,
        caseload=int(ws.scalar("SELECT count(*) FROM risk_caseload")),
        tables=TABLES,
    )


def _write_lists(ws: Workspace, config: RiskConfig) -> None:
    loc = locality_source(set(ws.list_tables()))
    people = f"""
SELECT s.*, coalesce(m.locality_code, 'unknown') AS locality_code,
  coalesce(p.practice_code, 'unknown') AS practice_code
FROM risk_score s
JOIN person p ON p.person_id = s.person_id
LEFT JOIN ({loc}) m ON m.area_code = p.area_code
"""
    ws.create_table_as(
        "risk_tier_summary",
        """
SELECT tier, tier_order, count(*) AS people,
  count(*) / (SELECT CAST(count(*) AS DOUBLE) FROM risk_score) AS share,
  avg(score) AS mean_score, min(score) AS min_score, max(score) AS max_score,
  sum(score) AS expected_people_admitted
FROM risk_score GROUP BY tier, tier_order
""",
    )
    ws.create_table_as(
        "risk_tier_locality",
        f"""
SELECT locality_code, tier, tier_order, count(*) AS people, avg(score) AS mean_score,
  sum(score) AS expected_people_admitted
FROM ({people}) x GROUP BY locality_code, tier, tier_order
""",
    )
    tiers = ", ".join(quote_str(t) for t in config.caseload_tiers)
    ws.create_table_as(
        "risk_caseload",
        f"""
SELECT locality_code, practice_code, person_id, score, tier, tier_order, rank,
  row_number() OVER (PARTITION BY locality_code ORDER BY score DESC, person_id)
    AS rank_in_locality,
  row_number() OVER (PARTITION BY practice_code ORDER BY score DESC, person_id)
    AS rank_in_practice,
  top_factors
FROM ({people}) x
WHERE tier IN ({tiers})
""",
    )
