"""How well the hub funnels find the outliers planted in the synthetic economy.

Evaluation code only: it reads ground truth (``truth.performance_outlier``), which no
pipeline step may read. Sensitivity = planted outliers flagged on their indicator in the
right direction / planted; false positives = flags on sites that were not planted.
"""

from __future__ import annotations

import pandas as pd

from caremap.core.workspace import Workspace


def detection(ws: Workspace, source: str = "hubs") -> pd.DataFrame:
    """One row per indicator: planted, detected, flagged, false positives, sensitivity."""
    ws.require("funnel_unit", "truth.performance_outlier")
    flags = ws.df(
        f"SELECT split_part(funnel, ' / ', 1) AS indicator, unit AS site_code, label "
        f"FROM funnel_unit WHERE source = '{source}' AND flag"
    )
    truth = ws.df("SELECT site_code, indicator, direction FROM truth.performance_outlier")
    return score(flags, truth)


def score(flags: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``flags``: indicator, site_code, label; ``truth``: site_code, indicator, direction."""
    want = {"better": "candidate_best_practice", "worse": "concern"}
    rows = []
    for ind in sorted(set(truth["indicator"]) | set(flags["indicator"])):
        t = truth[truth["indicator"] == ind]
        f = flags[flags["indicator"] == ind]
        hit = t.merge(f, on="site_code", how="left")
        detected = int((hit["label"] == hit["direction"].map(want)).sum())
        false_pos = int((~f["site_code"].isin(t["site_code"])).sum())
        rows.append(
            {
                "indicator": ind,
                "planted": len(t),
                "detected": detected,
                "flagged": len(f),
                "false_positives": false_pos,
                "sensitivity": detected / len(t) if len(t) else float("nan"),
            }
        )
    return pd.DataFrame(rows)
