"""`caremap risk` end to end on a small linked workspace."""

import csv

import pytest

from caremap.cli.main import main
from caremap.core.workspace import open_workspace

from . import toy

pytestmark = pytest.mark.acceptance


@pytest.fixture
def ws_path(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREMAP_NO_PROGRESS", "1")
    path = tmp_path / "w.duckdb"
    with open_workspace(path, memory_limit="1GB") as ws:
        toy.build(ws, n=1500, seed=6)
    return path


def test_train_score_caseload_evaluate(ws_path, tmp_path, capsys):
    cfg = tmp_path / "risk.yaml"
    cfg.write_text("lightgbm: {n_estimators: 80}\n")
    model = tmp_path / "model.json"
    assert main(["risk", "train", "-w", str(ws_path), "-c", str(cfg), "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert "Temporal validation" in out and "lightgbm" in out and model.exists()
    assert (
        main(["risk", "score", "-w", str(ws_path), "-c", str(cfg), "--model-file", str(model)]) == 0
    )
    out = capsys.readouterr().out
    assert "very high" in out and "1,500" in out
    csv_path = tmp_path / "l1.csv"
    assert (
        main(["risk", "caseload", "-w", str(ws_path), "--locality", "L1", "--out", str(csv_path)])
        == 0
    )
    rows = list(csv.DictReader(csv_path.open()))
    assert rows and {r["locality_code"] for r in rows} == {"L1"}
    assert [int(r["rank_in_locality"]) for r in rows] == list(range(1, len(rows) + 1))
    assert main(["risk", "evaluate", "-w", str(ws_path), "-c", str(cfg)]) == 0
    assert "Against the true" in capsys.readouterr().out
    with open_workspace(ws_path, memory_limit="1GB", read_only=True) as ws:
        models = set(ws.df("SELECT DISTINCT model FROM risk_truth_evaluation").model)
    assert models == {"lightgbm", "logistic", "true_probability"}


def test_user_errors_print_one_line(ws_path, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    assert main(["risk", "score", "-w", str(ws_path), "--model-file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "not a caremap risk model" in err and "Traceback" not in err
    assert main(["risk", "score", "-w", str(ws_path), "--index-date", "2024-13-01"]) == 2
    assert "not a date" in capsys.readouterr().err
    assert main(["risk", "score", "-w", str(ws_path)]) == 2
    assert "caremap risk train" in capsys.readouterr().err


def test_demo_step(ws_path, tmp_path):
    from caremap.cli.cmd_risk import demo_risk as demo
    from caremap.cli.common import DemoContext

    with open_workspace(ws_path, memory_limit="1GB") as ws:
        ctx = DemoContext(ws=ws, work_dir=tmp_path, seed=1, population=1500)
        demo(ctx)
        assert ws.has_table("risk_caseload") and ws.has_table("risk_truth_evaluation")
    ((step, text),) = ctx.summary
    assert step == "risk" and "AUROC" in text and "of the true-probability AUROC" in text
