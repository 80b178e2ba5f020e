"""Risk stratification: who is most likely to have an emergency admission in the next year.

Two steps, one config (`RiskConfig`, ``risk/config.py``):

* `run_risk_train(ws, RiskConfig) -> RiskTrainResult` (``risk/train.py``, `caremap risk
  train`): builds features from the linked record (``person``, ``person_link``,
  ``activity``, ``condition``, ``small_area``), fits a PARR-style logistic model and
  LightGBM and validates them on the following year. Writes ``risk_features_train``,
  ``risk_features_test``, ``risk_model``, ``risk_evaluation``, ``risk_reliability``,
  ``risk_model_card``, ``risk_feature_quality`` and ``risk_unknown_codes``.
* `run_risk_score(ws, RiskConfig) -> RiskScoreResult` (``risk/score.py``, `caremap risk
  score`): scores everyone with the saved model (``risk_model``), assigns tiers and writes
  ``risk_features``, ``risk_score``, ``risk_tier_summary``, ``risk_tier_locality`` and
  ``risk_caseload`` (caseload lists per locality and GP practice).

`caremap.risk.evaluation` compares with the true probabilities of a synthetic economy.
"""

from caremap.risk.config import RiskConfig
from caremap.risk.score import RiskScoreResult, run_risk_score
from caremap.risk.train import RiskTrainResult, run_risk_train

__all__ = ["RiskConfig", "RiskScoreResult", "RiskTrainResult", "run_risk_score", "run_risk_train"]
