"""Exact linkage accuracy against the synthetic economy's ground truth.

Only evaluation reads ``truth.record_person``; the linking step never does.

Pairwise: a pair of records is predicted when both are in one cluster and true when both
belong to one true person; precision = TP / predicted pairs, recall = TP / true pairs
(Christen 2012, "Data Matching", Springer, section 7.3). Cluster: a predicted cluster is
correct when it holds exactly the records of one true person; cluster precision = correct /
predicted clusters, cluster recall = correct / true persons (Menestrina, Whang and
Garcia-Molina 2010, "Evaluating entity resolution results", PVLDB 3:208-219, the "cluster
F1" of exact cluster matches). F1 is the harmonic mean of each pair.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyarrow as pa

from caremap.core.workspace import Workspace


@dataclass(frozen=True)
class Evaluation:
    records: int
    true_persons: int
    predicted_persons: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    exact_clusters: int
    cluster_precision: float
    cluster_recall: float
    cluster_f1: float

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaluate_assignment(
    ws: Workspace, table: str = "person_link", cluster_column: str = "person_id"
) -> Evaluation:
    """Score any record -> cluster table (``source_system``, ``record_id``, cluster column)
    against ``truth.record_person``."""
    ws.require(table, "truth.record_person")
    row = ws.sql(
        f"""
WITH j AS (
  SELECT a.{cluster_column} AS c, t.person_key AS t
  FROM {table} a JOIN truth.record_person t
    ON t.source_system = a.source_system AND CAST(t.record_id AS VARCHAR) = a.record_id
), b AS (SELECT c, t, count(*) AS n FROM j GROUP BY c, t),
pc AS (SELECT c, count(*) AS n, min(t) AS t, count(DISTINCT t) AS nt FROM j GROUP BY c),
tc AS (SELECT t, count(*) AS n FROM j GROUP BY t),
s_b AS (SELECT coalesce(sum(n * (n - 1) / 2), 0) AS tp FROM b),
s_pc AS (SELECT count(*) AS predicted_persons, coalesce(sum(n * (n - 1) / 2), 0)
           AS predicted_pairs FROM pc),
s_tc AS (SELECT count(*) AS true_persons, coalesce(sum(n), 0) AS records,
           coalesce(sum(n * (n - 1) / 2), 0) AS true_pairs FROM tc),
s_x AS (SELECT count(*) AS exact FROM pc JOIN tc ON tc.t = pc.t
        WHERE pc.nt = 1 AND pc.n = tc.n)
SELECT * FROM s_b CROSS JOIN s_pc CROSS JOIN s_tc CROSS JOIN s_x
"""
    ).to_pylist()[0]
    tp, pp, tt = int(row["tp"]), int(row["predicted_pairs"]), int(row["true_pairs"])
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    exact, npc, ntc = int(row["exact"]), int(row["predicted_persons"]), int(row["true_persons"])
    cp = exact / npc if npc else 1.0
    cr = exact / ntc if ntc else 1.0
    return Evaluation(
        records=int(row["records"]),
        true_persons=ntc,
        predicted_persons=npc,
        true_pairs=tt,
        predicted_pairs=pp,
        true_positive_pairs=tp,
        pairwise_precision=p,
        pairwise_recall=r,
        pairwise_f1=_f1(p, r),
        exact_clusters=exact,
        cluster_precision=cp,
        cluster_recall=cr,
        cluster_f1=_f1(cp, cr),
    )


def evaluate_against_truth(ws: Workspace) -> Evaluation:
    """Evaluate ``person_link`` against the truth and write ``link_evaluation(metric, value)``."""
    ev = evaluate_assignment(ws)
    d = ev.as_dict()
    ws.write_table(
        "link_evaluation",
        pa.table(
            {
                "metric": pa.array(list(d), pa.string()),
                "value": pa.array(list(d.values()), pa.float64()),
            }
        ),
    )
    return ev
