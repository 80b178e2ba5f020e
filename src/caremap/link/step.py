"""`run_link`: the linkage step over a workspace's ``source_record``.

Reads ``source_record`` (and ``postcode`` for area codes); writes ``link_input`` (the
cleaned evidence per record), ``person_link``, ``person``, ``link_model`` (the trained
Splink model as JSON, for incremental runs) and the ``link_`` quality tables, all in one
transaction: a run that fails leaves the previous master person index untouched.

A full rerun keeps person ids stable where the persons are unchanged. Incremental mode
links source records not yet in ``person_link`` with the stored model:
only pairs involving a new record are scored, existing records keep their person ids, and
existing persons are never merged with each other.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from caremap.core.errors import ConfigError, WorkspaceError
from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.link.config import LinkConfig
from caremap.link.linkage import run_linkage
from caremap.link.mpi import (
    ASSIGNMENT_VIEW,
    person_link_full_sql,
    person_link_incremental_sql,
    write_person,
)
from caremap.link.prepare import prepare_sql, register_names, source_record_relation
from caremap.link.quality import write_quality, write_review
from caremap.link.splink_engine import SPLINK_VERSION, Evidence, TrainedModel

MODEL_TABLE = "link_model"


TABLES = (
    "link_input",
    "person_link",
    "person",
    MODEL_TABLE,
    "link_quality",
    "link_cluster_sizes",
    "link_unlinked",
    "link_review",
)


@dataclass(frozen=True)
class LinkResult(StepResult):
    """What a run did: counts, the run's statistics and how long it took."""

    records: int
    persons: int
    new_records: int
    incremental: bool
    seconds: float
    stats: dict[str, float] = field(default_factory=dict)


def _store_model(ws: Workspace, model: TrainedModel) -> None:
    ws.write_table(
        MODEL_TABLE,
        pa.table(
            {
                "settings_json": [model.settings_json],
                "evidence_json": [json.dumps(model.evidence.__dict__)],
                "splink_version": [SPLINK_VERSION],
            }
        ),
    )


def _load_model(ws: Workspace) -> TrainedModel:
    row = ws.sql(f"SELECT settings_json, evidence_json FROM {MODEL_TABLE}").to_pylist()
    if not row:
        raise WorkspaceError(f"{MODEL_TABLE} is empty: run `caremap link` without --incremental")
    return TrainedModel(row[0]["settings_json"], Evidence(**json.loads(row[0]["evidence_json"])))


def save_model(ws: Workspace, path: str | Path) -> None:
    """Write the workspace's trained model to a JSON file (for ``LinkConfig.model_path``)."""
    ws.require(MODEL_TABLE)
    model = _load_model(ws)
    doc = {
        "splink_version": SPLINK_VERSION,
        "evidence": model.evidence.__dict__,
        "settings": model.settings_dict(),
    }
    Path(path).write_text(json.dumps(doc, indent=1))


def read_model(path: str | Path) -> TrainedModel:
    """A model written by `save_model`."""
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"model_path {p}: no such file")
    try:
        doc = json.loads(p.read_text())
        return TrainedModel(json.dumps(doc["settings"]), Evidence(**doc["evidence"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"model_path {p}: not a caremap linkage model ({exc})") from None


def run_link(ws: Workspace, config: LinkConfig) -> LinkResult:
    """Link ``source_record`` into ``person`` and ``person_link`` (see the module docstring)."""
    t0 = time.perf_counter()
    ws.require("source_record")
    if ws.row_count("source_record") == 0:
        raise WorkspaceError("source_record is empty: ingest some source extracts first")
    incremental = config.incremental and all(
        ws.has_table(t) for t in ("person_link", "link_input", MODEL_TABLE)
    )
    with ws.transaction():
        if incremental:
            result, new = _incremental(ws, config)
        else:
            result, new = _full(ws, config)
        write_person(ws, config)
        write_quality(ws, result)
    records = int(ws.scalar("SELECT count(*) FROM person_link"))
    persons = int(ws.scalar("SELECT count(*) FROM person"))
    return LinkResult(
        records, persons, new, incremental, time.perf_counter() - t0, result, tables=TABLES
    )


def _full(ws: Workspace, config: LinkConfig) -> tuple[dict[str, float], int]:
    previous = ws.has_table("person_link")
    relation = source_record_relation()
    register_names(ws, relation)
    ws.create_table_as("link_input", prepare_sql(relation, config))
    model = read_model(config.model_path) if config.model_path else None
    run = run_linkage(ws, config, "link_input", model=model)
    ws.register_temp(ASSIGNMENT_VIEW, run.assignment)
    try:
        ws.create_table_as("person_link", person_link_full_sql(previous))
    finally:
        ws.unregister_temp(ASSIGNMENT_VIEW)
    _store_model(ws, run.model)
    write_review(ws, run.review)
    return run.stats, run.assignment.num_rows


def _incremental(ws: Workspace, config: LinkConfig) -> tuple[dict[str, float], int]:
    model = _load_model(ws)
    relation = (
        f"SELECT * FROM ({source_record_relation()}) s WHERE NOT EXISTS "
        "(SELECT 1 FROM link_input li WHERE li.source = s.source AND li.record_id = s.record_id)"
    )
    first_new = int(ws.scalar("SELECT coalesce(max(uid), -1) + 1 FROM link_input"))
    n_new = int(ws.scalar(f"SELECT count(*) FROM ({relation}) x"))
    if n_new == 0:
        return {"new_records": 0.0}, 0
    register_names(ws, relation)
    ws.insert_select("link_input", prepare_sql(relation, config, uid_offset=first_new))
    labels = ws.sql(
        "SELECT i.uid, pl.person_id FROM link_input i JOIN person_link pl "
        "ON pl.source_system = i.source AND pl.record_id = i.record_id"
    )
    n = first_new + n_new
    initial = np.full(n, -1, dtype=np.int64)
    initial[labels.column("uid").to_numpy()] = labels.column("person_id").to_numpy()
    run = run_linkage(
        ws, config, "link_input", model=model, new_from_uid=first_new, initial=initial
    )
    ws.register_temp(ASSIGNMENT_VIEW, run.assignment)
    try:
        ws.insert_select("person_link", person_link_incremental_sql(first_new))
    finally:
        ws.unregister_temp(ASSIGNMENT_VIEW)
    write_review(ws, run.review)
    return {**run.stats, "new_records": float(n_new)}, n_new
