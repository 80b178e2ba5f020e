"""The European Standard Population 2013 and the age bands it is defined on.

Source: Eurostat (2013), *Revision of the European Standard Population: report of Eurostat's
task force*, table 3: 19 five-year bands (0-4, 5-9, ..., 85-89, 90+) summing to 100,000, as
PHE/OHID use it for directly standardised rates on Fingertips. (The standard also splits 0-4
into under 1 = 1,000 and 1-4 = 4,000; caremap's population table keeps those two bands, and
they are merged into 0-4 for standardisation.)
"""

from __future__ import annotations

import re

from caremap.core.errors import InputError

ESP2013_AGE_FROM: tuple[int, ...] = tuple(range(0, 95, 5))
ESP2013: tuple[int, ...] = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip


def band_label(age_from: int) -> str:
    """The label of the ESP 2013 band starting at ``age_from`` ('0-4', '5-9', ..., '90+')."""
    if age_from not in ESP2013_AGE_FROM:
        raise ValueError(f"no ESP 2013 band starts at {age_from}")
    return "90+" if age_from == 90 else f"{age_from}-{age_from + 4}"


def band_start(age_from: int) -> int:
    """The ESP 2013 band holding a population band that starts at ``age_from`` (1 -> 0)."""
    return 90 if age_from >= 90 else (int(age_from) // 5) * 5


ESP2013_LABELS: tuple[str, ...] = tuple(band_label(a) for a in ESP2013_AGE_FROM)


def age_band_sql(age_expr: str) -> str:
    """SQL mapping an age in whole years to the ESP 2013 band start (0, 5, ..., 90)."""
    return (
        f"CASE WHEN {age_expr} < 0 THEN NULL WHEN {age_expr} >= 90 THEN 90 "
        f"ELSE CAST(floor({age_expr} / 5) * 5 AS INTEGER) END"
    )


_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|to)\s*(\d+)\s*$")
_PLUS = re.compile(r"^\s*(\d+)\s*(?:\+|plus|and over)\s*$", re.IGNORECASE)


def parse_band(label: object, *, file: str | None = None, row: int | None = None) -> int:
    """The ESP 2013 band start for a label such as '0-4', '85-89', '90+', or an age (47).

    The finer under-1 ('0', '<1') and '1-4' bands map to 0 (the 0-4 band).

    Raises `InputError` naming the file, row and field for a band ESP 2013 does not have.
    """
    text = str(label).strip()
    start: int | None = None
    if text in ("<1", "0", "00", "0-0", "under 1", "1-4", "1", "1 to 4"):
        start = 0
    elif text.isdigit():  # a single year of age, or a band start: both fall in one band
        start = band_start(int(text))
    elif m := _RANGE.match(text):
        lo, hi = int(m.group(1)), int(m.group(2))
        ok = lo in ESP2013_AGE_FROM and lo != 90 and hi == lo + 4
        start = lo if ok else None
    elif m := _PLUS.match(text):
        start = int(m.group(1))
        if start != 90:
            start = None
    if start is None or start not in ESP2013_AGE_FROM:
        raise InputError(
            f"unknown age band {text!r}; expected the 19 ESP 2013 bands "
            f"({', '.join(ESP2013_LABELS)})",
            file=file,
            row=row,
            field="age_band",
        )
    return start
