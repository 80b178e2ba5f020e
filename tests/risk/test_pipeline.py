"""Train, score and evaluate through a workspace, on a small linked toy economy."""

import json

import pytest

from caremap.core.config import load_config
from caremap.core.errors import ConfigError, InputError, WorkspaceError
from caremap.core.workspace import open_workspace
from caremap.risk import RiskConfig, registry
from caremap.risk import run_risk_score as score
from caremap.risk import run_risk_train as train
from caremap.risk.evaluation import evaluate_against_truth

from . import toy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("risk") / "toy.duckdb"
    ws = open_workspace(path, memory_limit="1GB")
    toy.build(ws, n=3000, seed=4)
    cfg = RiskConfig(lightgbm={"n_estimators": 150})
    result = train(ws, cfg)
    scored = score(ws, cfg)
    yield ws, cfg, result, scored
    ws.close()


def test_temporal_validation_metrics(trained):
    ws, _, result, _ = trained
    for kind in ("logistic", "lightgbm"):
        ev = result.test(kind)
        assert ev.people == 3000
        assert 0.7 < ev.auroc < 0.95
        assert 0.7 < ev.calibration_slope < 1.3
    rows = ws.df("SELECT DISTINCT model, dataset FROM risk_evaluation ORDER BY 1, 2")
    assert rows.values.tolist() == [
        ["lightgbm", "test"],
        ["lightgbm", "train"],
        ["logistic", "test"],
        ["logistic", "train"],
    ]
    assert ws.row_count("risk_reliability") == 2 * 2 * 10
    card = ws.df("SELECT DISTINCT section FROM risk_model_card")["section"].tolist()
    for s in (
        "model",
        "intended use",
        "data",
        "metrics: temporal validation",
        "features",
        "caveats",
    ):
        assert s in card


def test_everyone_alive_is_scored_with_a_tier(trained):
    ws, _, _, scored = trained
    assert scored.people == ws.row_count("risk_score") == 3000
    no_activity = ws.scalar(
        "SELECT count(*) FROM risk_score s JOIN risk_features f USING (person_id) "
        "WHERE f.gp_12m + f.ae_attendances_12m + f.emergency_admissions_12m = 0"
    )
    assert no_activity > 0
    assert ws.scalar("SELECT count(*) FROM risk_score WHERE score IS NULL OR tier IS NULL") == 0


def test_tier_pyramid(trained):
    ws, _, _, scored = trained
    people = {t["tier"]: t["people"] for t in scored.tiers}
    assert people == {"very high": 15, "high": 135, "moderate": 450, "low": 2400}
    # Higher tiers hold higher scores, without overlap.
    rows = ws.df(
        "SELECT tier_order, min(score) lo, max(score) hi FROM risk_score GROUP BY 1 ORDER BY 1"
    )
    assert all(rows.lo[i] >= rows.hi[i + 1] for i in range(len(rows) - 1))
    by_loc = ws.df("SELECT sum(people) n FROM risk_tier_locality")["n"][0]
    assert by_loc == 3000


def test_caseload_lists_per_locality_and_practice(trained):
    ws, _, _, scored = trained
    assert scored.caseload == 150
    top = ws.df("SELECT * FROM risk_caseload WHERE locality_code = 'L1' ORDER BY rank_in_locality")
    assert top.rank_in_locality.tolist() == list(range(1, len(top) + 1))
    assert top.score.is_monotonic_decreasing
    assert top.top_factors.notna().all()
    assert set(ws.df("SELECT DISTINCT practice_code FROM risk_caseload").practice_code) <= {
        "P0",
        "P1",
        "P2",
        "P3",
    }


def test_factors_point_at_what_raises_risk(trained):
    ws, _, _, _ = trained
    # Someone with recent emergency admissions has hospital use among their top factors.
    f = ws.df(
        "SELECT s.top_factors FROM risk_score s JOIN risk_features f USING (person_id) "
        "WHERE f.emergency_admissions_12m >= 2 AND s.tier = 'very high'"
    )
    assert len(f) > 0
    assert f.top_factors.str.contains("emergency|bed days|discharged").mean() > 0.5


def test_against_true_probabilities(trained):
    ws, cfg, _, _ = trained
    cmp = evaluate_against_truth(ws, cfg)
    assert cmp.year == 2024 and cmp.people == 3000
    assert cmp.auroc_ratio("logistic") > 0.95
    t = ws.df("SELECT * FROM risk_truth_evaluation WHERE metric = 'auroc_ratio_to_truth'")
    assert set(t.model) == {"lightgbm", "logistic"}


def test_model_file_round_trip_scores_the_same(trained, tmp_path):
    ws, cfg, _, _ = trained
    before = ws.df("SELECT person_id, score FROM risk_score ORDER BY person_id")
    doc = registry.load(ws)  # the selected model, which scored above
    assert doc["model_id"] == ws.scalar("SELECT DISTINCT model_id FROM risk_score")
    path = registry.export(doc, tmp_path / "m.json")
    score(ws, cfg, model=registry.read_file(path))
    after = ws.df("SELECT person_id, score FROM risk_score ORDER BY person_id")
    assert after.score.tolist() == pytest.approx(before.score.tolist(), abs=1e-12)


def test_model_refuses_a_workspace_whose_features_do_not_match(trained, tmp_path):
    ws, cfg, _, _ = trained
    doc = registry.load(ws, kind="logistic")
    other = open_workspace(tmp_path / "other.duckdb", memory_limit="1GB")
    toy.build(other, n=1000, seed=9)
    other.delete_where("activity", "setting = 'gp'")  # this workspace has no GP data
    with pytest.raises(WorkspaceError, match=r"gp_12m \(GP contacts"):
        score(other, cfg, model=doc)
    bad = json.loads(json.dumps(doc))
    bad["feature_names"] = [*bad["feature_names"][:-1], "bmi"]
    bad["feature_config"]["lookback_months"] = 6
    with pytest.raises(WorkspaceError) as err:
        score(other, cfg, model=bad)
    msg = str(err.value)
    assert "not built here: bmi" in msg and "does not know: discharges_90d" in msg
    assert "signature does not match" in msg
    other.close()


def test_missing_inputs_and_bad_windows(ws):
    with pytest.raises(WorkspaceError, match="person_link"):
        train(ws, RiskConfig())
    toy.build(ws, n=300, seed=2)
    with pytest.raises(ConfigError, match="outcome window ends 2026-03-31"):
        train(ws, RiskConfig(train_index="2024-04-01", test_index="2025-04-01"))
    with pytest.raises(WorkspaceError, match="caremap risk train"):
        score(ws, RiskConfig())


def test_config_reports_every_problem(tmp_path):
    p = tmp_path / "risk.yaml"
    p.write_text(
        "train_index: 2024-04-01\ntest_index: 2023-04-01\nmodel: forest\n"
        "tiers: [{name: a, top_share: 0.5}, {name: b, top_share: 0.2}]\nbogus: 1\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(RiskConfig, p)
    msg = str(err.value)
    assert "model" in msg and "bogus" in msg
    p.write_text("train_index: 2024-04-01\ntest_index: 2023-04-01\ncaseload_tiers: [top]\n")
    with pytest.raises(ConfigError) as err:
        load_config(RiskConfig, p)
    assert "test_index must be after" in str(err.value) and "unknown tier" in str(err.value)
    with pytest.raises(ConfigError, match="no such config"):
        load_config(RiskConfig, tmp_path / "nope.yaml")
    (tmp_path / "m.json").write_text("{}")
    with pytest.raises(InputError, match="missing kind"):
        registry.read_file(tmp_path / "m.json")
