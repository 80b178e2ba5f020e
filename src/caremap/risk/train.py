"""`run_risk_train(ws, config)`: fit and validate the risk models with temporal validation.

Temporal validation (Altman and Royston 2000, "What do we mean by validating a prognostic
model?", Stat Med 19:453; Steyerberg 2019, "Clinical Prediction Models", ch. 17): the models
learn from features at ``train_index`` with outcomes in the following year, and are judged
on features at ``test_index`` with outcomes in the year after that, so the test is what the
model would have achieved had it been used a year later. Both models are always fitted: the
logistic PARR-style baseline and LightGBM; ``config.model`` says which one scores people
(``auto``: the one with the higher temporal-validation AUROC).

Writes ``risk_features_train``, ``risk_features_test``, ``risk_model`` (both models),
``risk_evaluation``, ``risk_reliability``, ``risk_model_card``, ``risk_feature_quality`` and
``risk_unknown_codes``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from caremap.core.errors import ConfigError, WorkspaceError
from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.risk import registry
from caremap.risk.card import model_card
from caremap.risk.config import RiskConfig
from caremap.risk.features import FEATURE_NAMES, add_months, feature_sql, labelled_sql
from caremap.risk.metrics import Evaluation, evaluate
from caremap.risk.models import GBMModel, LogisticModel
from caremap.risk.quality import quality_report

INPUTS = ("person", "person_link", "activity", "condition", "small_area")
COLUMNS = {
    "person": ("person_id", "sex", "date_of_birth", "area_code", "practice_code", "date_of_death"),
    "person_link": ("source_system", "record_id", "person_id"),
    "activity": (
        "source_system",
        "record_id",
        "setting",
        "start_date",
        "end_date",
        "admission_method",
        "point_of_delivery",
        "primary_diagnosis",
    ),
    "condition": ("source_system", "record_id", "condition", "code", "diagnosed_date"),
    "small_area": ("area_code", "locality_code", "imd_score", "imd_decile"),
}


def require_inputs(ws: Workspace) -> None:
    """The input tables and the columns the features read, or a message naming what is missing."""
    ws.require(*INPUTS)
    missing = []
    for table, cols in COLUMNS.items():
        have = set(ws.columns(table))
        missing += [f"{table}.{c}" for c in cols if c not in have]
    if missing:
        raise WorkspaceError(
            f"workspace {ws.path} lacks columns that risk features need: {', '.join(missing)}"
        )


TABLES = (
    "risk_features_train",
    "risk_features_test",
    "risk_model",
    "risk_evaluation",
    "risk_reliability",
    "risk_model_card",
    "risk_feature_quality",
    "risk_unknown_codes",
)


@dataclass(frozen=True)
class RiskTrainResult(StepResult):
    """What training produced: the saved models and their temporal-validation metrics."""

    model_ids: dict[str, str]
    primary: str
    evaluations: dict[tuple[str, str], Evaluation] = field(default_factory=dict)
    train_people: int = 0
    test_people: int = 0
    notes: list[str] = field(default_factory=list)

    def test(self, kind: str | None = None) -> Evaluation:
        return self.evaluations[(kind or self.primary, "test")]


def fetch(
    ws: Workspace, table: str, with_outcome: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person_id, feature matrix, outcome) of a features table, pulled as Arrow -> NumPy."""
    cols = ", ".join(["person_id", *FEATURE_NAMES, *(["outcome"] if with_outcome else [])])
    t = ws.sql(f"SELECT {cols} FROM {table} ORDER BY person_id")
    ids = t.column("person_id").to_numpy()
    x = np.column_stack(
        [t.column(n).cast(pa.float64()).to_numpy(zero_copy_only=False) for n in FEATURE_NAMES]
    )
    y = t.column("outcome").to_numpy() if with_outcome else np.zeros(0)
    return ids, x, y.astype(float)


def activity_span(ws: Workspace) -> tuple[date, date]:
    row = ws.sql("SELECT min(start_date) AS lo, max(start_date) AS hi FROM activity").to_pylist()[0]
    if row["lo"] is None:
        raise ConfigError("the activity table is empty: there is nothing to learn from")
    return row["lo"], row["hi"]


def check_windows(ws: Workspace, config: RiskConfig) -> list[str]:
    """Every outcome window must lie inside the activity data; return notes on history."""
    lo, hi = activity_span(ws)
    problems, notes = [], []
    for name, idx in (("train_index", config.train_index), ("test_index", config.test_index)):
        end = add_months(idx, config.outcome_months) - timedelta(days=1)
        if end > hi + timedelta(days=31):
            problems.append(
                f"{name} {idx}: its outcome window ends {end} but activity ends {hi}; "
                f"choose an index date at least {config.outcome_months} months before the end"
            )
        if idx <= lo:
            problems.append(f"{name} {idx}: no activity before it (activity starts {lo})")
        elif add_months(idx, -config.features.long_lookback_months) < lo:
            notes.append(
                f"{name} {idx}: only {(idx - lo).days} days of history before it, shorter than "
                f"the {config.features.long_lookback_months}-month window"
            )
    if problems:
        raise ConfigError("risk training windows do not fit the data:\n  " + "\n  ".join(problems))
    return notes


def run_risk_train(ws: Workspace, config: RiskConfig | None = None) -> RiskTrainResult:
    """Build features, fit both models on the training year, validate on the next year."""
    config = config or RiskConfig()
    require_inputs(ws)
    notes = check_windows(ws, config)
    fc = config.features
    fcd = fc.model_dump(mode="json")
    datasets = {}
    for name, idx in (("train", config.train_index), ("test", config.test_index)):
        table = f"risk_features_{name}"
        ws.create_table_as(f"{table}_x", feature_sql(idx, fc))
        ws.create_table_as(table, labelled_sql(f"{table}_x", idx, config.outcome_months))
        ws.drop_table(f"{table}_x")
        datasets[name] = fetch(ws, table, with_outcome=True)
        if datasets[name][2].sum() == 0:
            raise ConfigError(f"no emergency admissions in the {name} outcome year after {idx}")
    _, x_tr, y_tr = datasets["train"]
    _, x_te, y_te = datasets["test"]
    profile = registry.feature_profile(x_tr, FEATURE_NAMES)

    # Each fit is single-threaded (see LightGBMConfig.num_threads) and releases the GIL, so
    # the two run side by side on two cores and no slower than in turn on a busy machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        fits = {
            "logistic": pool.submit(LogisticModel(FEATURE_NAMES).fit, x_tr, y_tr),
            "lightgbm": pool.submit(
                GBMModel(FEATURE_NAMES, config.lightgbm, config.seed).fit, x_tr, y_tr
            ),
        }
        models = {kind: f.result() for kind, f in fits.items()}
    model_ids: dict[str, str] = {}
    evaluations: dict[tuple[str, str], Evaluation] = {}
    created = datetime.now(UTC).replace(microsecond=0)
    eval_rows, rel_rows = [], []
    docs = {}
    # Apparent performance only shows overfitting; a large random sample measures it as well
    # as everyone does, at a fraction of the cost of scoring the whole training year again.
    rng = np.random.default_rng(config.seed)
    keep = np.sort(rng.permutation(len(y_tr))[: config.apparent_sample])
    x_app, y_app = x_tr[keep], y_tr[keep]
    for kind, m in models.items():
        for ds, x, y in (("train", x_app, y_app), ("test", x_te, y_te)):
            ev = evaluate(y, m.predict(x), bins=config.reliability_bins)
            evaluations[(kind, ds)] = ev
        meta = {
            "train_index": str(config.train_index),
            "test_index": str(config.test_index),
            "outcome_months": config.outcome_months,
            "train_people": len(y_tr),
            "test_people": len(y_te),
            "workspace": str(ws.path),
            "test_metrics": evaluations[(kind, "test")].flat(),
            "created": created,
        }
        docs[kind] = registry.make_document(m, fcd, profile, meta)
        model_ids[kind] = docs[kind]["model_id"]
        for ds in ("train", "test"):
            ev = evaluations[(kind, ds)]
            for metric, value in ev.flat().items():
                eval_rows.append((docs[kind]["model_id"], kind, ds, metric, float(value)))
            for r in ev.reliability:
                rel_rows.append(
                    (
                        docs[kind]["model_id"],
                        kind,
                        ds,
                        r["bin"],
                        r["people"],
                        r["mean_predicted"],
                        r["observed"],
                    )
                )

    primary = config.model
    if config.model == "auto":
        primary = max(models, key=lambda k: evaluations[(k, "test")].auroc)
        notes.append(f"{primary} scores people: the higher temporal-validation AUROC (model: auto)")
    result = RiskTrainResult(
        model_ids=model_ids,
        primary=primary,
        evaluations=evaluations,
        train_people=len(y_tr),
        test_people=len(y_te),
        notes=notes,
        tables=TABLES,
        warnings=tuple(notes),
    )
    quality, unknown = quality_report(ws, config.test_index, fc, "risk_features_test")
    card = model_card(docs, result, config, quality, models)
    with ws.transaction():
        for kind in ("logistic", "lightgbm"):
            registry.save(ws, docs[kind], selected=kind == result.primary)
        ws.write_table(
            "risk_evaluation",
            _table(eval_rows, ["model_id", "model", "dataset", "metric", "value"]),
        )
        ws.write_table(
            "risk_reliability",
            _table(
                rel_rows,
                ["model_id", "model", "dataset", "bin", "people", "mean_predicted", "observed"],
            ),
        )
        ws.write_table("risk_model_card", card)
        ws.write_table("risk_feature_quality", quality)
        ws.write_table("risk_unknown_codes", unknown)
    return result


def _table(rows: list[tuple], names: list[str]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.table({n: list(c) for n, c in zip(names, cols, strict=True)})
