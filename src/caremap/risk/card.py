"""The model card written to the workspace (``risk_model_card``) after training.

Follows the sections of Mitchell et al. 2019, "Model cards for model reporting" (FAT* '19):
model details, intended use, data, metrics (temporal validation), quality (the
temporal-validation AUROC graded by `caremap.core.stats.discrimination`, with a warning
when the model is weak: below 0.6 no better than chance), features and their weight, data
quality, and caveats. One row per item: ``model_id, section, item, value``
(all text), so the app and the report can render it and an analyst can query it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from caremap.core.stats.discrimination import grade
from caremap.risk.features import LABELS

if TYPE_CHECKING:
    from caremap.risk.config import RiskConfig
    from caremap.risk.train import RiskTrainResult

INTENDED_USE = (
    "Find people at high risk of an emergency hospital admission in the next 12 months, so "
    "that locality and practice teams can offer proactive care (case management, medication "
    "review, care planning). Not for rationing care, and not a diagnosis: every list needs "
    "clinical review."
)
CAVEATS = (
    "Scores are only as complete as the linked record: activity that did not link to the "
    "person, and conditions not recorded in primary care, are invisible to the model.",
    "Validated on the year after training; recalibrate or retrain when services, coding or "
    "the population change, and check the calibration figures before each use.",
    "Tiers are shares of the scored population, not fixed risk thresholds.",
)

QUALITY_RULE = (
    "AUROC below 0.6: no better than chance; 0.6-0.7 poor; 0.7-0.8 acceptable; 0.8-0.9 "
    "excellent; 0.9 and above outstanding (Hosmer, Lemeshow & Sturdivant 2013)"
)

METRICS = (
    "auroc",
    "calibration_slope",
    "calibration_intercept",
    "brier",
    "prevalence",
    "mean_predicted",
    "ppv_top_0.5pct",
    "sensitivity_top_0.5pct",
    "ppv_top_1pct",
    "sensitivity_top_1pct",
    "ppv_top_5pct",
    "sensitivity_top_5pct",
)


def model_card(
    docs: dict, result: RiskTrainResult, config: RiskConfig, quality: pa.Table, models: dict
) -> pa.Table:
    rows: list[tuple[str, str, str, str]] = []
    primary = docs[result.primary]["model_id"]
    for kind, doc in docs.items():
        mid = doc["model_id"]

        def add(section: str, item: str, value, mid=mid) -> None:
            rows.append((mid, section, item, str(value)))

        add(
            "model",
            "type",
            "LightGBM gradient-boosted trees"
            if kind == "lightgbm"
            else "logistic regression (PARR-style)",
        )
        add("model", "scores people", "yes" if mid == primary else "no (comparison baseline)")
        add("model", "created", doc["created_at"])
        add("model", "feature signature", doc["signature"])
        add("intended use", "purpose", INTENDED_USE)
        add(
            "intended use",
            "outcome",
            f"one or more emergency admissions in the {config.outcome_months} months after the index date",
        )
        add(
            "data",
            "training",
            f"features at {config.train_index}, outcomes in the following {config.outcome_months} months; {result.train_people:,} people",
        )
        add(
            "data",
            "temporal validation",
            f"features at {config.test_index}, outcomes in the following {config.outcome_months} months; {result.test_people:,} people",
        )
        sampled = result.evaluations[(kind, "train")].people
        if sampled < result.train_people:
            add(
                "data",
                "training (apparent) metrics",
                f"a random sample of {sampled:,} of the {result.train_people:,} people",
            )
        for note in result.notes:
            add("data", "note", note)
        auroc = result.evaluations[(kind, "test")].flat()["auroc"]
        d = grade(auroc, "risk model")
        add("quality", "discrimination", f"{d.quality} (temporal-validation AUROC {auroc:.3f})")
        add("quality", "rule", QUALITY_RULE)
        if d.warning:
            add("quality", "warning", d.warning)
        for ds in ("test", "train"):
            flat = result.evaluations[(kind, ds)].flat()
            label = "temporal validation" if ds == "test" else "training (apparent)"
            for m in METRICS:
                add(f"metrics: {label}", m, f"{flat[m]:.4f}")
        if kind == "logistic":
            top = sorted(models[kind].odds_ratios(), key=lambda r: -abs(r["coefficient"]))
            for r in top[:15]:
                add("features", r["term"], f"odds ratio {r['odds_ratio']:.3f} per unit")
        else:
            for r in models[kind].importance()[:15]:
                add(
                    "features",
                    LABELS.get(r["feature"], r["feature"]),
                    f"{r['gain_share']:.1%} of gain",
                )
        for m, v in zip(quality["measure"].to_pylist(), quality["value"].to_pylist(), strict=True):
            add("data quality (validation index date)", m, f"{v:,}")
        for i, c in enumerate(CAVEATS, 1):
            add("caveats", str(i), c)
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {n: list(c) for n, c in zip(("model_id", "section", "item", "value"), cols, strict=True)}
    )
