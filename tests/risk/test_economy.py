"""Risk stratification of the small synthetic economy (5,000 people), end to end.

The linked record is made from the ground truth (`tests.risk.linked`, a test shortcut) so
that this test does not depend on linkage quality.
"""

import pytest

from caremap.risk import RiskConfig
from caremap.risk import run_risk_score as score
from caremap.risk import run_risk_train as train
from caremap.risk.evaluation import evaluate_against_truth

from .linked import link_from_truth

pytestmark = pytest.mark.integration


def test_synthetic_economy(economy_ws):
    ws = economy_ws
    link_from_truth(ws)
    cfg = RiskConfig(lightgbm={"n_estimators": 120})
    result = train(ws, cfg)
    for kind in ("logistic", "lightgbm"):
        ev = result.test(kind)
        assert 0.65 < ev.auroc < 0.95, kind
        assert 0.6 < ev.calibration_slope < 1.4, kind
    scored = score(ws, cfg)
    alive = ws.scalar(
        f"SELECT count(*) FROM person WHERE (date_of_death IS NULL OR date_of_death >= "
        f"DATE '{scored.index_date}') AND (date_of_birth IS NULL OR date_of_birth < "
        f"DATE '{scored.index_date}')"
    )
    assert scored.people == alive
    cmp = evaluate_against_truth(ws, cfg)
    assert cmp.year == 2024
    # Small data: well short of the benchmark's 0.97, but far above chance.
    assert cmp.auroc_ratio(result.primary) > 0.9
    rows = ws.sql("SELECT measure, value FROM risk_feature_quality").to_pylist()
    quality = {r["measure"]: r["value"] for r in rows}
    assert quality["population"] == result.test_people
    assert quality["activity_unlinked"] == 0
