"""Fitted models saved in the workspace (table ``risk_model``) or in a JSON file, and the check
that a model may score a workspace.

A saved model is a JSON document: the model itself, the feature configuration, the feature
names, and the *feature profile* of its training data (which features varied, which source
systems and conditions were present). Before scoring, `check_compatible` compares the
model's profile with the profile of the workspace being scored and refuses, naming every
difference, when they do not match: different feature names, an edited model file, or a feature the
model relies on that is absent (always zero or missing) in the new workspace, which would
otherwise give silently wrong scores.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from caremap.core.errors import InputError, WorkspaceError
from caremap.core.workspace import Workspace
from caremap.risk.features import LABELS
from caremap.risk.models import GBMModel, LogisticModel, model_from_dict

MODEL_TABLE = "risk_model"
FEATURE_VERSION = 1
# Features that vary in any real population unless their source data is missing altogether.
SOURCE_FEATURES = (
    "age",
    "imd_score",
    "ltc_count",
    "emergency_admissions_12m",
    "ae_attendances_12m",
    "ambulance_12m",
    "outpatient_12m",
    "community_12m",
    "gp_12m",
    "social_care_12m",
)


def signature(names: list[str], feature_config: dict) -> str:
    """A short fingerprint of the feature definition (names, windows, version)."""
    doc = json.dumps(
        {"v": FEATURE_VERSION, "names": names, "features": feature_config}, sort_keys=True
    )
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def feature_profile(x: np.ndarray, names: list[str]) -> dict[str, bool]:
    """For each feature, whether it varies (is informative) in this data."""
    out = {}
    for j, n in enumerate(names):
        col = x[:, j]
        finite = col[~np.isnan(col)]
        out[n] = bool(finite.size > 0 and finite.min() != finite.max())
    return out


def make_document(
    model: LogisticModel | GBMModel, feature_config: dict, profile: dict[str, bool], meta: dict
) -> dict:
    created = meta.get("created") or datetime.now(UTC).replace(microsecond=0)
    meta = {k: v for k, v in meta.items() if k != "created"}
    model_id = f"{model.kind}-{created.strftime('%Y%m%dT%H%M%S')}"
    return {
        "model_id": model_id,
        "kind": model.kind,
        "created_at": created.isoformat(),
        "feature_version": FEATURE_VERSION,
        "feature_names": model.names,
        "feature_config": feature_config,
        "signature": signature(model.names, feature_config),
        "profile": profile,
        "meta": meta,
        "model": model.to_dict(),
    }


def save(ws: Workspace, doc: dict, selected: bool = False) -> None:
    """Add a model document to ``risk_model``: one row per model; ``selected`` marks the
    model of a training run that scores people when no model is named."""
    row = pa.table(
        {
            "model_id": [doc["model_id"]],
            "kind": [doc["kind"]],
            "created_at": pa.array([datetime.fromisoformat(doc["created_at"])], pa.timestamp("us")),
            "selected": [bool(selected)],
            "signature": [doc["signature"]],
            "document": [json.dumps(doc)],
        }
    )
    mode = "append" if ws.has_table(MODEL_TABLE) else "replace"
    if mode == "append":
        ws.delete_where(MODEL_TABLE, f"model_id = '{doc['model_id']}'")
    ws.write_table(MODEL_TABLE, row, mode=mode)


def load(ws: Workspace, kind: str | None = None, model_id: str | None = None) -> dict:
    """The latest saved model (of ``kind``, or with ``model_id``) from the workspace.

    ``kind`` None or ``auto``: the selected model of the latest training run."""
    ws.require(MODEL_TABLE)
    where = []
    if kind and kind != "auto":
        where.append(f"kind = '{kind}'")
    if model_id:
        where.append("model_id = '" + model_id.replace("'", "''") + "'")
    cond = ("WHERE " + " AND ".join(where)) if where else ""
    rows = ws.sql(
        f"SELECT document FROM {MODEL_TABLE} {cond} ORDER BY created_at DESC, selected DESC, model_id DESC LIMIT 1"
    ).to_pylist()
    if not rows:
        what = model_id or kind or "any"
        raise WorkspaceError(
            f"workspace {ws.path} has no saved risk model ({what}); run `caremap risk train`"
        )
    return json.loads(rows[0]["document"])


def export(doc: dict, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(doc, indent=1))
    return path


def read_file(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise InputError("no such model file", file=str(path))
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not a caremap risk model (invalid JSON: {exc})", file=str(path)
        ) from None
    missing = [
        k
        for k in ("kind", "feature_names", "feature_config", "signature", "profile", "model")
        if k not in doc
    ]
    if missing:
        raise InputError(f"not a caremap risk model (missing {', '.join(missing)})", file=str(path))
    return doc


def check_compatible(doc: dict, names: list[str], profile: dict[str, bool], where: str) -> None:
    """Refuse to score when the workspace's features differ from the model's; list why.

    (The features are always built with the model's own windows, so the windows cannot
    differ; the signature catches a model file whose names or windows were edited.)"""
    problems = []
    if doc.get("feature_version") != FEATURE_VERSION:
        problems.append(
            f"the model was built with feature definitions version {doc.get('feature_version')}, "
            f"this caremap builds version {FEATURE_VERSION}"
        )
    model_names = doc["feature_names"]
    missing = [n for n in model_names if n not in names]
    extra = [n for n in names if n not in model_names]
    if missing:
        problems.append(f"features the model needs are not built here: {', '.join(missing)}")
    if extra:
        problems.append(f"features built here that the model does not know: {', '.join(extra)}")
    if not missing and not extra and names != model_names:
        problems.append("features are in a different order from the model's")
    if signature(model_names, doc["feature_config"]) != doc["signature"]:
        problems.append(
            "the model file's feature names or windows were changed after training "
            "(its signature does not match)"
        )
    absent = [
        n
        for n, varied in doc["profile"].items()
        if n in SOURCE_FEATURES and varied and n in profile and not profile[n]
    ]
    if absent:
        labels = ", ".join(f"{n} ({LABELS.get(n, n)})" for n in absent)
        problems.append(
            "features the model relies on are constant or empty in this workspace, so the "
            f"data it learnt from is missing here: {labels}"
        )
    if problems:
        raise WorkspaceError(
            f"risk model {doc.get('model_id', '?')} cannot score {where}:\n  - "
            + "\n  - ".join(problems)
            + "\nTrain a model on this workspace (`caremap risk train`) or supply the missing data."
        )


def model_of(doc: dict) -> LogisticModel | GBMModel:
    return model_from_dict(doc["model"])
