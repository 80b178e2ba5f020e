"""Expected deaths after injury: a TRISS-style baseline adjusted for where and how fast
definitive care is reached. Every effect is a parameter with a cited default.

* Baseline probability of survival, TRISS (Boyd, Tolson & Copes 1987, "Evaluating trauma
  care: the TRISS method", J Trauma 27(4), 370-378) with the Major Trauma Outcome Study
  blunt coefficients (Champion et al. 1990, J Trauma 30(11), 1356-1365):
  b = -0.4499 + 0.8085 RTS - 0.0835 ISS - 1.7430 AgeIndex, AgeIndex = 1 if age >= 55;
  Ps = 1 / (1 + exp(-b)). The Revised Trauma Score is not in an ambulance incident record,
  so a normal physiology (RTS 7.8408) is assumed unless given.
* Centre effect: care at a trauma centre cut the risk of death by 25% (relative risk 0.75,
  MacKenzie et al. 2006, "A national evaluation of the effect of trauma-center care on
  mortality", NEJM 354(4), 366-378); applied as an odds ratio of 1/0.75 for major trauma whose
  definitive care is not at a major trauma centre.
* Time effect: total prehospital time over 60 minutes had an odds ratio of death of 3.0
  (Sampalis et al. 1993, "Impact of on-site care, prehospital time, and level of in-hospital
  care on survival in severely injured patients", J Trauma 34(2), 252-261); applied to the
  minutes from the incident to the first hospital.
* Route to definitive care: major trauma reaching the trauma centre by secondary transfer
  from another hospital, rather than directly, had an odds ratio of death of 1.96 (95% CI
  1.53-2.50; 8.9% against 4.8%, Sampalis et al. 1997, "Direct transport to tertiary trauma
  centers versus transfer from lower level facilities: impact on mortality and morbidity
  among patients with major trauma", J Trauma 43(2), 288-295). This is how the later
  arrival at definitive care of a network with fewer or more distant centres shows in
  expected deaths: every scenario that changes who is transferred changes them.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from caremap.core.config import Config


class OutcomeModel(Config):
    """Parameters of the outcome model (defaults cited in the module docstring)."""

    b0: float = -0.4499
    b_rts: float = 0.8085
    b_iss: float = -0.0835
    b_age: float = -1.7430
    age_index_from: int = 55
    rts: float = Field(7.8408, description="assumed Revised Trauma Score")
    or_not_at_mtc: float = Field(
        1 / 0.75, gt=0, description="odds ratio, major trauma not at an MTC"
    )
    or_prehospital_over_60: float = Field(3.0, gt=0, description="odds ratio, >60 min to hospital")
    or_secondary_transfer: float = Field(
        1.96, gt=0, description="odds ratio, major trauma reaching the centre by transfer"
    )
    major_iss: int = 16

    def survival(self, iss, age) -> np.ndarray:
        """TRISS probability of survival with the assumed RTS."""
        iss = np.asarray(iss, dtype=float)
        age_index = (np.asarray(age, dtype=float) >= self.age_index_from).astype(float)
        b = self.b0 + self.b_rts * self.rts + self.b_iss * iss + self.b_age * age_index
        return 1.0 / (1.0 + np.exp(-b))

    def death_probability(
        self, iss, age, at_mtc, prehospital_minutes, transferred=False
    ) -> np.ndarray:
        """Baseline death odds times the centre, time and secondary-transfer odds ratios
        (``at_mtc``: definitive care at a major trauma centre; ``transferred``: reached it
        by secondary transfer)."""
        p0 = 1.0 - self.survival(iss, age)
        odds = p0 / np.maximum(1.0 - p0, 1e-12)
        major = np.asarray(iss) >= self.major_iss
        odds = odds * np.where(major & ~np.asarray(at_mtc, dtype=bool), self.or_not_at_mtc, 1.0)
        odds = odds * np.where(
            np.asarray(prehospital_minutes) > 60.0, self.or_prehospital_over_60, 1.0
        )
        odds = odds * np.where(
            major & np.asarray(transferred, dtype=bool), self.or_secondary_transfer, 1.0
        )
        return odds / (1.0 + odds)
