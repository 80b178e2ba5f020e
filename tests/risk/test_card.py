"""The model card flags a weak model in words a page can show."""

from types import SimpleNamespace

import pyarrow as pa
import pytest

from caremap.risk.card import METRICS, model_card

pytestmark = pytest.mark.unit


def _card(auroc: float) -> dict[tuple[str, str], str]:
    flat = {m: 0.5 for m in METRICS} | {"auroc": auroc}
    ev = SimpleNamespace(flat=lambda: flat, people=100)
    result = SimpleNamespace(
        primary="logistic",
        train_people=100,
        test_people=100,
        notes=[],
        evaluations={("logistic", "test"): ev, ("logistic", "train"): ev},
    )
    cfg = SimpleNamespace(outcome_months=12, train_index="2023-04-01", test_index="2024-04-01")
    model = SimpleNamespace(
        odds_ratios=lambda: [{"term": "age", "coefficient": 0.1, "odds_ratio": 1.1}]
    )
    docs = {"logistic": {"model_id": "m1", "created_at": "now", "signature": "s"}}
    quality = pa.table({"measure": ["population"], "value": [100]})
    t = model_card(docs, result, cfg, quality, {"logistic": model}).to_pylist()
    return {(r["section"], r["item"]): r["value"] for r in t}


def test_weak_model_is_flagged():
    card = _card(0.5)
    assert card[("quality", "discrimination")].startswith("no better than chance")
    assert "no better than chance" in card[("quality", "warning")]
    assert "0.6" in card[("quality", "rule")]


def test_good_model_has_no_warning():
    card = _card(0.78)
    assert card[("quality", "discrimination")] == "acceptable (temporal-validation AUROC 0.780)"
    assert ("quality", "warning") not in card
