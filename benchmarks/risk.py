"""Benchmark: risk stratification of a synthetic economy (issue 4 targets).

Targets: our temporal-validation AUROC >= 0.97 x the AUROC of the generator's true
probabilities (the best any model can do); calibration slope within 0.9-1.1; features,
training and scoring of 1,000,000 people in <= 2 minutes on this machine.

Peers, measured in the same run on the same people and outcomes:
* discrimination: the true probabilities (``truth.risk``);
* model: scikit-learn's HistGradientBoostingClassifier fitted on the same feature matrix
  (a second, independent gradient-boosting implementation).

BENCHMARK-ONLY SHORTCUTS (clearly not the product path, and not timed):
* the extracts are loaded straight from Parquet into DuckDB instead of through
  `caremap ingest` (whose validation is benchmarked separately);
* ``person`` and ``person_link`` are made from the ground truth (a perfect linkage) instead
  of `caremap link`, so the figure measures risk stratification alone.

    .venv/bin/python benchmarks/risk.py --population 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

TABLES = ("activity", "condition", "small_area")
TRUTH = ("person", "record_person", "risk")


def load_shortcut(ws, extracts: Path) -> None:
    """BENCHMARK-ONLY: Parquet straight into DuckDB; person/person_link from truth."""
    for t in TABLES:
        files = sorted(str(p) for p in extracts.glob(f"{t}*.parquet"))
        ws.execute(f"CREATE OR REPLACE TABLE {t} AS SELECT * FROM read_parquet({files!r})")
    for t in TRUTH:
        ws.execute(
            f"CREATE OR REPLACE TABLE truth.{t} AS SELECT * FROM "
            f"read_parquet('{extracts / 'truth' / (t + '.parquet')}')"
        )
    ws.create_table_as(
        "person_link",
        "SELECT source_system, record_id, person_key AS person_id, 1.0 AS match_probability, "
        "'truth shortcut (benchmark only)' AS match_rule FROM truth.record_person",
    )
    ws.create_table_as(
        "person",
        "SELECT person_key AS person_id, nhs_number, given_name, family_name, date_of_birth, "
        "sex, postcode, area_code, practice_code, date_of_death FROM truth.person",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--work", type=Path, default=Path("/tmp/caremap-bench-risk"))
    ap.add_argument("--no-peer", action="store_true", help="skip the scikit-learn peer model")
    ap.add_argument("--reuse", action="store_true", help="reuse a loaded benchmark workspace")
    args = ap.parse_args()

    from caremap.core.workspace import open_workspace
    from caremap.risk.config import RiskConfig
    from caremap.risk.evaluation import evaluate_against_truth
    from caremap.risk.metrics import evaluate
    from caremap.risk.score import run_risk_score as score
    from caremap.risk.train import fetch
    from caremap.risk.train import run_risk_train as train

    extracts = args.work / f"extracts-{args.population}-{args.seed}"
    if not (extracts / "truth" / "risk.parquet").exists():
        from caremap.synth import generate

        t0 = time.perf_counter()
        generate(population=args.population, seed=args.seed, out_dir=extracts)
        print(f"synthetic economy generated in {time.perf_counter() - t0:.0f} s (not timed)")
    ws_path = args.work / f"risk-{args.population}.duckdb"
    if not (args.reuse and ws_path.exists()):
        for stale in (ws_path, ws_path.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)
    ws = open_workspace(ws_path, memory_limit="6GB")
    if not (args.reuse and ws.has_table("person_link")):
        t0 = time.perf_counter()
        load_shortcut(ws, extracts)
        print(f"loaded (benchmark shortcut, not timed) in {time.perf_counter() - t0:.0f} s")

    cfg = RiskConfig()
    t0, c0 = time.perf_counter(), time.process_time()
    result = train(ws, cfg)
    t_train, c_train = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    scored = score(ws, cfg)
    t_score, c_score = time.perf_counter() - t0, time.process_time() - c0
    total = t_train + t_score
    cmp = evaluate_against_truth(ws, cfg)

    peer = None
    if not args.no_peer:
        from sklearn.ensemble import HistGradientBoostingClassifier

        _, x_tr, y_tr = fetch(ws, "risk_features_train", with_outcome=True)
        _, x_te, y_te = fetch(ws, "risk_features_test", with_outcome=True)
        t0 = time.perf_counter()
        hgb = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=1)
        hgb.fit(x_tr, y_tr)
        t_peer = time.perf_counter() - t0
        peer = (evaluate(y_te, hgb.predict_proba(x_te)[:, 1]), t_peer)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    best = cmp.best
    print()
    print(f"## Risk stratification ({args.population:,} people, seed {args.seed})")
    print()
    print(f"Command: `.venv/bin/python benchmarks/risk.py --population {args.population}`")
    print()
    print(
        "| model (temporal validation) | AUROC | ratio to truth | cal. slope | cal. intercept | Brier | PPV top 1% | sens. top 5% |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = [
        (f"caremap {k}" + (" (scores)" if k == result.primary else ""), ev)
        for k, ev in cmp.ours.items()
    ]
    if peer:
        rows.append(("peer: scikit-learn HistGradientBoosting", peer[0]))
    rows.append(("peer: true probabilities (ceiling)", best))
    for name, ev in rows:
        f = ev.flat()
        print(
            f"| {name} | {f['auroc']:.4f} | {f['auroc'] / best.auroc:.3f} | "
            f"{f['calibration_slope']:.3f} | {f['calibration_intercept']:.3f} | {f['brier']:.4f} | "
            f"{f['ppv_top_1pct']:.3f} | {f['sensitivity_top_5pct']:.3f} |"
        )
    print()
    print("| step | wall seconds | CPU seconds (all threads) |")
    print("|---|---|---|")
    print(
        f"| train: features x2, logistic + LightGBM, validation, model card | {t_train:.1f} | "
        f"{c_train:.1f} |"
    )
    print(
        f"| score: features, scores, tiers, factors, caseloads ({scored.people:,} people) | "
        f"{t_score:.1f} | {c_score:.1f} |"
    )
    print(f"| **total (target <= 120)** | **{total:.1f}** | {c_train + c_score:.1f} |")
    if peer:
        print(f"| peer: scikit-learn HistGradientBoosting fit alone | {peer[1]:.1f} | |")
    print()
    primary = cmp.ours[result.primary]
    ratio = primary.auroc / best.auroc
    print(
        f"Targets: AUROC ratio {ratio:.3f} (>= 0.97: {'met' if ratio >= 0.97 else 'NOT met'}); "
        f"calibration slope {primary.calibration_slope:.3f} (0.9-1.1: "
        f"{'met' if 0.9 <= primary.calibration_slope <= 1.1 else 'NOT met'}); "
        f"time {total:.0f} s (<= 120: {'met' if total <= 120 else 'NOT met'}). "
        f"Peak RSS {peak:.1f} GB. Load average at the end: {Path('/proc/loadavg').read_text().split()[0]} on {os.cpu_count()} cores."
    )
    ws.close()


if __name__ == "__main__":
    main()
