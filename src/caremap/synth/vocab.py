"""Closed lists of codes used by activity, and turning index arrays into Arrow strings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from caremap.core.schema import ADMISSION_METHODS
from caremap.synth.reference import (
    AE_DIAGNOSES,
    ELECTIVE_PROCEDURES,
    NEL_DIAGNOSES,
    OUTPATIENT_SPECIALTIES,
)

PODS = (
    "NEL", "EL", "DC", "MAT", "OPFA", "OPFU", "AE", "SEE_CONVEY", "SEE_TREAT", "HEAR_TREAT",
    "CONS", "CONTACT", "HOME_CARE", "RES_CARE",
)  # fmt: skip
METHODS = ADMISSION_METHODS


class Vocab:
    """A list of strings with index lookup; `take` turns int arrays (-1 = null) into Arrow."""

    def __init__(self, values) -> None:
        self.values = list(dict.fromkeys(values))
        self.index = {v: i for i, v in enumerate(self.values)}
        self.arrow = pa.array(self.values, pa.string())

    def __getitem__(self, v: str) -> int:
        return self.index[v]

    def ids(self, values) -> np.ndarray:
        return np.array([self.index[v] for v in values], dtype=np.int32)

    def take(self, idx: np.ndarray) -> pa.Array:
        """A dictionary-encoded string array (written to Parquet as plain strings)."""
        idx = np.asarray(idx)
        mask = idx < 0
        arr = pa.array(np.where(mask, 0, idx).astype(np.int32), mask=mask if mask.any() else None)
        return pa.DictionaryArray.from_arrays(arr, self.arrow)

    def strings(self, idx: np.ndarray) -> pa.Array:
        """A plain string array."""
        return self.take(idx).cast(pa.string())


SPECIALTIES = Vocab(
    ["180", "950", "650", "653", "501"]
    + [d[1] for d in NEL_DIAGNOSES]
    + [p[0] for p in ELECTIVE_PROCEDURES]
    + [s[0] for s in OUTPATIENT_SPECIALTIES]
)
DIAGNOSES = Vocab(
    ["O800", "F03"]
    + [d[0] for d in NEL_DIAGNOSES]
    + [p[2] for p in ELECTIVE_PROCEDURES]
    + [s[1] for s in OUTPATIENT_SPECIALTIES]
    + AE_DIAGNOSES
)
PROCEDURES = Vocab(["R249"] + [p[1] for p in ELECTIVE_PROCEDURES])
POD = Vocab(PODS)
METHOD = Vocab(METHODS)
