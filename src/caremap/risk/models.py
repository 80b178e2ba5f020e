"""The two risk models: a transparent logistic model and a gradient-boosted model.

Both have the same shape: ``fit(x, y)`` on a feature matrix whose columns are
`caremap.risk.features.FEATURE_NAMES`, ``predict(x)`` -> probabilities, ``contributions(x)``
-> each feature's contribution to each person's log-odds (for the "top contributing factors"
on caseload lists), and ``to_dict()`` / ``from_dict()`` to save a fitted model as JSON.

* `LogisticModel` is the PARR-style baseline (Billings et al. 2006, "Case finding for patients
  at risk of readmission to hospital", BMJ 333:327; Wennberg et al. 2006, "Combined Predictive
  Model: final report", King's Fund): a main-effects logistic regression on age bands, sex,
  deprivation, each long-term condition, and log(1 + count) of prior use, so every
  coefficient reads as an odds ratio. A light L2 penalty on standardised inputs keeps rare
  features stable. A feature's contribution for a person is ``coef * (x - mean)`` on the
  log-odds scale.
* `GBMModel` is LightGBM (Ke et al. 2017, "LightGBM: a highly efficient gradient boosting
  decision tree", NeurIPS) with binary log-loss, early stopping on a random share of the
  training year, and contributions from TreeSHAP (Lundberg et al. 2020, "From local
  explanations to global understanding with explainable AI for trees", Nat Mach Intell 2:56).
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from caremap.risk.config import LightGBMConfig
from caremap.risk.metrics import logistic_fit

# Lower bounds of the age bands (infants apart: their admission rate is high); reference 40-59.
AGE_BANDS = (0, 1, 5, 15, 20, 40, 60, 70, 80, 90)
AGE_REFERENCE = 40
NO_LOG = ("female", "sex_unknown", "imd_score", "imd_decile")


MIN_RECALIBRATION_EVENTS = 300


def stratified_split(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """A boolean mask holding out ``share`` of the events and of the non-events."""
    rng = np.random.default_rng(seed)
    valid = np.zeros(len(y), dtype=bool)
    for v in (0, 1):
        idx = np.flatnonzero(y == v)
        k = round(share * len(idx))
        valid[rng.choice(idx, size=k, replace=False)] = True
    return valid


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class LogisticModel:
    """PARR-style logistic regression; see the module docstring."""

    kind = "logistic"

    def __init__(self, names: list[str], c: float = 1.0) -> None:
        self.names = list(names)
        self.c = c
        self.terms: list[tuple[str, str]] = []  # (term, feature it belongs to)
        self.fill: dict[str, float] = {}
        self.mean = np.zeros(0)
        self.sd = np.zeros(0)
        self.coef = np.zeros(0)
        self.intercept = 0.0

    # The design: which transformed term comes from which raw feature.
    def _design(self, x: np.ndarray) -> np.ndarray:
        cols, terms = [], []
        for j, name in enumerate(self.names):
            v = x[:, j].astype(float)
            if name == "age":
                known = ~np.isnan(v)
                for lo, hi in zip(AGE_BANDS, (*AGE_BANDS[1:], 999), strict=True):
                    if lo == AGE_REFERENCE:
                        continue
                    cols.append(((v >= lo) & (v < hi) & known).astype(float))
                    terms.append((f"age {lo}-{hi - 1}" if hi < 999 else f"age {lo}+", name))
                cols.append((~known).astype(float))
                terms.append(("age unknown", name))
                continue
            if name == "imd_decile":
                continue  # the score carries the same information
            missing = np.isnan(v)
            v = np.where(missing, self.fill.get(name, 0.0), v)
            if name == "days_since_emergency":
                v = np.log1p(v)
            elif name == "ltc_count" or (name not in NO_LOG and not name.startswith("ltc_")):
                v = np.log1p(np.maximum(v, 0))
            cols.append(v)
            terms.append((name, name))
            if name == "imd_score":
                cols.append(missing.astype(float))
                terms.append(("deprivation unknown", name))
        self.terms = terms
        return np.column_stack(cols)

    def fit(self, x: np.ndarray, y: np.ndarray) -> LogisticModel:
        self.fill = {
            n: float(np.nanmean(x[:, j])) if np.isfinite(x[:, j]).any() else 0.0
            for j, n in enumerate(self.names)
        }
        d = self._design(x)
        self.mean = d.mean(axis=0)
        self.sd = d.std(axis=0)
        self.sd[self.sd == 0] = 1.0
        z = (d - self.mean) / self.sd
        # Ridge on standardised terms with weight 1/C (scikit-learn's convention), by Newton.
        # One BLAS thread: on shared cores, spinning BLAS threads slow Newton down badly.
        with threadpool_limits(1):
            beta = logistic_fit(
                np.column_stack([np.ones(len(y)), z]), y, tol=1e-10, l2=1.0 / self.c
            )
        self.coef = beta[1:] / self.sd  # per unit of the (transformed) term
        self.intercept = float(beta[0] - (beta[1:] * self.mean / self.sd).sum())
        return self

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + self._design(x) @ self.coef

    def predict(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(self.log_odds(x))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per raw feature: the sum of its terms' ``coef * (term - mean term)``."""
        d = self._design(x)
        per_term = (d - self.mean) * self.coef
        out = np.zeros((x.shape[0], len(self.names)))
        index = {n: j for j, n in enumerate(self.names)}
        for t, (_, feat) in enumerate(self.terms):
            out[:, index[feat]] += per_term[:, t]
        return out

    def odds_ratios(self) -> list[dict]:
        """Each term's odds ratio per unit of its (transformed) value: the model, readable."""
        return [
            {"term": t, "feature": f, "coefficient": float(b), "odds_ratio": float(np.exp(b))}
            for (t, f), b in zip(self.terms, self.coef, strict=True)
        ]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "names": self.names,
            "c": self.c,
            "fill": self.fill,
            "mean": self.mean.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "terms": [list(t) for t in self.terms],
        }

    @classmethod
    def from_dict(cls, d: dict) -> LogisticModel:
        m = cls(d["names"], d["c"])
        m.fill = {k: float(v) for k, v in d["fill"].items()}
        m.mean = np.asarray(d["mean"], dtype=float)
        m.coef = np.asarray(d["coef"], dtype=float)
        m.intercept = float(d["intercept"])
        m.terms = [tuple(t) for t in d["terms"]]
        return m


class GBMModel:
    """LightGBM gradient-boosted trees; see the module docstring."""

    kind = "lightgbm"

    def __init__(
        self, names: list[str], config: LightGBMConfig | None = None, seed: int = 1
    ) -> None:
        self.names = list(names)
        self.config = config or LightGBMConfig()
        self.seed = seed
        self.booster = None
        self.best_iteration = 0
        self.recal = (0.0, 1.0)

    def _params(self) -> dict:
        c = self.config
        return {
            "objective": "binary",
            "learning_rate": c.learning_rate,
            "num_leaves": c.num_leaves,
            "max_depth": c.max_depth,
            "min_child_samples": c.min_child_samples,
            "reg_lambda": c.reg_lambda,
            "verbose": -1,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": c.num_threads,
        }

    def fit(self, x: np.ndarray, y: np.ndarray) -> GBMModel:
        import lightgbm as lgb

        valid = stratified_split(y, self.config.validation_share, self.seed)
        train = lgb.Dataset(x[~valid], y[~valid], feature_name=self.names, free_raw_data=True)
        check = lgb.Dataset(x[valid], y[valid], reference=train)
        self.booster = lgb.train(
            self._params(),
            train,
            num_boost_round=self.config.n_estimators,
            valid_sets=[check],
            callbacks=[lgb.early_stopping(self.config.early_stopping_rounds, verbose=False)],
        )
        self.best_iteration = int(self.booster.best_iteration or self.config.n_estimators)
        # Logistic recalibration on the held-out share (Cox 1958; Platt 1999): early stopping
        # leaves boosted log-odds slightly shrunk, which a slope and intercept undo.
        if y[valid].sum() >= MIN_RECALIBRATION_EVENTS:
            raw = self._raw(x[valid])
            a, b = logistic_fit(np.column_stack([np.ones(len(raw)), raw]), y[valid])
            self.recal = (float(a), float(b))
        return self

    def _raw(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(
            x,
            num_iteration=self.best_iteration,
            raw_score=True,
            num_threads=self.config.num_threads,
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        a, b = self.recal
        return _sigmoid(a + b * self._raw(x))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """TreeSHAP contributions to the (recalibrated) log-odds, one column per feature."""
        c = self.booster.predict(
            x,
            num_iteration=self.best_iteration,
            pred_contrib=True,
            num_threads=self.config.num_threads,
        )
        return c[:, :-1] * self.recal[1]

    def importance(self) -> list[dict]:
        gain = self.booster.feature_importance("gain", iteration=self.best_iteration)
        total = gain.sum() or 1.0
        return sorted(
            (
                {"feature": n, "gain_share": float(g / total)}
                for n, g in zip(self.names, gain, strict=True)
            ),
            key=lambda r: -r["gain_share"],
        )

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "names": self.names,
            "config": self.config.model_dump(),
            "seed": self.seed,
            "best_iteration": self.best_iteration,
            "recalibration": list(self.recal),
            "booster": self.booster.model_to_string(num_iteration=self.best_iteration),
        }

    @classmethod
    def from_dict(cls, d: dict) -> GBMModel:
        import lightgbm as lgb

        m = cls(d["names"], LightGBMConfig(**d["config"]), d["seed"])
        m.booster = lgb.Booster(model_str=d["booster"])
        m.best_iteration = int(d["best_iteration"])
        m.recal = (float(d["recalibration"][0]), float(d["recalibration"][1]))
        return m


def model_from_dict(d: dict) -> LogisticModel | GBMModel:
    return {"logistic": LogisticModel, "lightgbm": GBMModel}[d["kind"]].from_dict(d)
