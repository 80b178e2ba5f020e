"""Our models against the best possible: the synthetic economy's true probabilities.

On a synthetic workspace the generator stored each person's true probability of an emergency
admission in each year (``truth.risk``). No model can beat it on average, so its metrics
on the same people and the same observed outcomes are the ceiling against which ours are
judged (target: our AUROC at least 0.97 of the true-probability AUROC). This is evaluation
only: no pipeline step reads ground truth.

Each caremap person is matched to the true person behind most of their linked records
(``truth.record_person``); people whose records belong to no true person are left out of
both sides of the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from caremap.core.errors import WorkspaceError
from caremap.core.workspace import Workspace
from caremap.risk import registry
from caremap.risk.config import RiskConfig
from caremap.risk.metrics import Evaluation, evaluate
from caremap.risk.train import fetch

TRUTH_TABLES = ("truth.risk", "truth.record_person")


@dataclass
class TruthComparison:
    year: int
    people: int
    ours: dict[str, Evaluation]
    truth: Evaluation

    @property
    def best(self) -> Evaluation:
        """The metrics of the true probabilities."""
        return self.truth

    def best_auroc(self) -> float:
        """The true-probability AUROC, the denominator of `auroc_ratio`."""
        return self.truth.auroc

    def auroc_ratio(self, kind: str) -> float:
        return self.ours[kind].auroc / self.truth.auroc


def truth_year(ws: Workspace, config: RiskConfig) -> int:
    """The ``truth.risk`` year that holds the test outcome year."""
    years = sorted(r["year"] for r in ws.sql("SELECT DISTINCT year FROM truth.risk").to_pylist())
    if config.test_index.year in years:
        return config.test_index.year
    lo = ws.scalar("SELECT min(start_date) FROM activity")
    pos = (config.test_index - lo).days // 365
    if 0 <= pos < len(years):
        return years[pos]
    raise WorkspaceError(
        f"truth.risk has no year for the outcome year after {config.test_index} (years: {years})"
    )


def evaluate_against_truth(ws: Workspace, config: RiskConfig | None = None) -> TruthComparison:
    """Metrics of the trained models and of the true probabilities on the test year.

    Needs `caremap risk train` to have run (``risk_features_test`` and ``risk_model``).
    Writes ``risk_truth_evaluation`` (model, metric, value)."""
    config = config or RiskConfig()
    missing = [t for t in TRUTH_TABLES if not ws.has_table(t)]
    if missing:
        raise WorkspaceError(
            f"workspace {ws.path} has no ground truth ({', '.join(missing)}): the comparison "
            "with true probabilities is only possible on a synthetic economy"
        )
    ws.require("risk_features_test", "risk_model")
    year = truth_year(ws, config)
    ws.create_table_as(
        "risk_truth_match",
        f"""
WITH votes AS (
  SELECT l.person_id, r.person_key, count(*) AS n
  FROM person_link l
  JOIN truth.record_person r ON r.source_system = l.source_system AND r.record_id = l.record_id
  GROUP BY l.person_id, r.person_key
), best AS (
  SELECT person_id, person_key,
    row_number() OVER (PARTITION BY person_id ORDER BY n DESC, person_key) AS k
  FROM votes
)
SELECT b.person_id, t.p_emergency
FROM best b JOIN truth.risk t ON t.person_key = b.person_key AND t.year = {int(year)}
WHERE b.k = 1
""",
    )
    ids, x, y = fetch(ws, "risk_features_test", with_outcome=True)
    truth = ws.sql("SELECT person_id, p_emergency FROM risk_truth_match ORDER BY person_id")
    t_ids = truth.column("person_id").to_numpy()
    t_p = truth.column("p_emergency").to_numpy()
    pos = np.searchsorted(t_ids, ids)
    pos = np.clip(pos, 0, max(len(t_ids) - 1, 0))
    keep = (t_ids[pos] == ids) if len(t_ids) else np.zeros(len(ids), bool)
    ws.drop_table("risk_truth_match")
    if keep.sum() == 0:
        raise WorkspaceError("no caremap person could be matched to a true person")
    x, y, tp = x[keep], y[keep], t_p[pos[keep]]
    ours = {}
    for kind in ("lightgbm", "logistic"):
        m = registry.model_of(registry.load(ws, kind=kind))
        ours[kind] = evaluate(y, m.predict(x), bins=config.reliability_bins)
    true_ev = evaluate(y, tp, bins=config.reliability_bins)
    rows = []
    for name, ev in (*ours.items(), ("true_probability", true_ev)):
        for metric, value in ev.flat().items():
            rows.append((name, metric, float(value)))
        if name != "true_probability":
            rows.append((name, "auroc_ratio_to_truth", ev.auroc / true_ev.auroc))
    ws.write_table(
        "risk_truth_evaluation",
        pa.table(
            {
                k: list(v)
                for k, v in zip(("model", "metric", "value"), zip(*rows, strict=True), strict=True)
            }
        ),
    )
    return TruthComparison(year=year, people=int(keep.sum()), ours=ours, truth=true_ev)
