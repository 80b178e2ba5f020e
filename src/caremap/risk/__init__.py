"""Risk stratification: who is most likely to have an emergency admission in the next year.

`train` builds features from the linked record, fits a PARR-style logistic model and LightGBM
and validates them on the following year; `score` scores everyone, assigns tiers and writes
caseload lists per locality and GP practice. `caremap.risk.evaluation` compares with the true
probabilities of a synthetic economy.
"""

from caremap.risk.config import RiskConfig
from caremap.risk.score import ScoreResult, score
from caremap.risk.train import TrainResult, train

__all__ = ["RiskConfig", "ScoreResult", "TrainResult", "score", "train"]
