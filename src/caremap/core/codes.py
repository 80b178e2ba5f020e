"""NHS and clinical code formats: NHS number, postcode, ICD-10, OPCS-4, sex.

Each code has a Python check (for scalars and tests) and a SQL expression builder used by
ingestion, so validation runs inside the engine (DuckDB, or Spark through sqlglot).

Sources: NHS number check digit, NHS Data Dictionary "NHS Number" (Modulus 11, weights 10..2);
postcode format, ONS/Royal Mail "Postcode Address File" structure (outward AN, ANN, AAN,
AANN, ANA, AANA; inward NAA); ICD-10 and OPCS-4 code structure, NHS Digital "National
Clinical Coding Standards" (ICD-10 5th edition, OPCS-4.10): ICD-10 a letter and two digits with
an optional fourth character (digit, or X/D/A filler) and optional fifth; OPCS-4 a letter
(not I) and two digits with an optional fourth digit.
"""

from __future__ import annotations

import re

import numpy as np

NHS_WEIGHTS = np.arange(10, 1, -1)

POSTCODE_RE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$")
ICD10_RE = re.compile(r"^[A-Z][0-9]{2}([0-9A-Z]{1,2})?$")
OPCS4_RE = re.compile(r"^[A-HJ-Z][0-9]{2}[0-9]?$")

# Spellings of sex accepted on input, normalised to M/F/U (NHS Data Dictionary codes 1/2/0/9).
SEX_CODES = {
    "M": "M",
    "MALE": "M",
    "1": "M",
    "F": "F",
    "FEMALE": "F",
    "2": "F",
    "U": "U",
    "UNKNOWN": "U",
    "0": "U",
    "9": "U",
    "I": "U",
    "X": "U",
}


def nhs_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when the remainder makes it 10."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def normalise_nhs_number(value: str | None) -> str | None:
    """Strip spaces and dashes (``943 476 5919`` -> ``9434765919``)."""
    if value is None:
        return None
    v = re.sub(r"[\s-]", "", str(value))
    return v or None


def is_valid_nhs_number(value: str | None) -> bool:
    """True when ``value`` is ten digits whose last is the Modulus 11 check digit."""
    v = normalise_nhs_number(value)
    if v is None or not re.fullmatch(r"[0-9]{10}", v):
        return False
    return nhs_check_digit(v[:9]) == int(v[9])


def valid_nhs_numbers(values: np.ndarray) -> np.ndarray:
    """Vectorised Modulus 11 check over an array of 10-digit strings (invalid shape -> False)."""
    arr = np.asarray(values, dtype="U10")
    ok = np.char.str_len(arr) == 10
    digits = np.zeros((arr.size, 10), dtype=np.int64)
    view = np.char.ljust(arr, 10, "x").view("U1").reshape(arr.size, 10)
    isdig = np.char.isdigit(view)
    ok &= isdig.all(axis=1)
    digits[isdig] = view[isdig].astype(np.int64)
    check = (11 - (digits[:, :9] @ NHS_WEIGHTS) % 11) % 11
    return ok & (check != 10) & (check == digits[:, 9])


def normalise_postcode(value: str | None) -> str | None:
    """Upper-case, single space before the inward code (``sw1a1aa`` -> ``SW1A 1AA``)."""
    if value is None:
        return None
    v = re.sub(r"\s+", "", str(value)).upper()
    if len(v) < 5:
        return v or None
    return f"{v[:-3]} {v[-3:]}"


def is_valid_postcode(value: str | None) -> bool:
    v = normalise_postcode(value)
    return v is not None and POSTCODE_RE.match(v) is not None


def normalise_icd10(value: str | None) -> str | None:
    """Upper-case without the dot or a trailing dash (``j44.1`` -> ``J441``)."""
    if value is None:
        return None
    v = str(value).strip().upper().replace(".", "").rstrip("-")
    return v or None


def is_valid_icd10(value: str | None) -> bool:
    v = normalise_icd10(value)
    return v is not None and ICD10_RE.match(v) is not None


def normalise_opcs4(value: str | None) -> str | None:
    if value is None:
        return None
    v = str(value).strip().upper().replace(".", "")
    return v or None


def is_valid_opcs4(value: str | None) -> bool:
    v = normalise_opcs4(value)
    return v is not None and OPCS4_RE.match(v) is not None


def normalise_sex(value: str | None) -> str | None:
    if value is None:
        return None
    return SEX_CODES.get(str(value).strip().upper())


# SQL builders (DuckDB dialect, transpiled for Spark). Each takes a SQL expression over a
# VARCHAR and returns an expression.


def sql_nhs_normalised(col: str) -> str:
    return f"NULLIF(replace(replace(trim({col}), ' ', ''), '-', ''), '')"


def sql_nhs_valid(norm: str) -> str:
    terms = " + ".join(f"CAST(substr({norm}, {i + 1}, 1) AS INTEGER) * {10 - i}" for i in range(9))
    return (
        f"(CASE WHEN regexp_matches({norm}, '^[0-9]{{10}}$') THEN "
        f"(11 - ({terms}) % 11) % 11 = CAST(substr({norm}, 10, 1) AS INTEGER) ELSE FALSE END)"
    )


def sql_postcode_normalised(col: str) -> str:
    compact = f"upper(replace(trim({col}), ' ', ''))"
    return (
        f"(CASE WHEN length({compact}) >= 5 THEN "
        f"substr({compact}, 1, length({compact}) - 3) || ' ' || "
        f"substr({compact}, length({compact}) - 2, 3) "
        f"ELSE NULLIF({compact}, '') END)"
    )


def sql_postcode_valid(norm: str) -> str:
    return f"regexp_matches({norm}, '{POSTCODE_RE.pattern}')"


def sql_icd10_normalised(col: str) -> str:
    return f"NULLIF(rtrim(replace(upper(trim({col})), '.', ''), '-'), '')"


def sql_icd10_valid(norm: str) -> str:
    return f"regexp_matches({norm}, '{ICD10_RE.pattern}')"


def sql_opcs4_normalised(col: str) -> str:
    return f"NULLIF(replace(upper(trim({col})), '.', ''), '')"


def sql_opcs4_valid(norm: str) -> str:
    return f"regexp_matches({norm}, '{OPCS4_RE.pattern}')"


def sql_sex_normalised(col: str) -> str:
    cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in SEX_CODES.items())
    return f"(CASE upper(trim({col})) {cases} ELSE NULL END)"


def normalise_code_prefixes(values: list[str] | None) -> list[str] | None:
    """ICD-10/OPCS-4 code prefixes as rules write them (``J44.1`` -> ``J441``); raises
    ValueError (for Pydantic validators) when one is not letters and digits."""
    if values is None:
        return None
    out = [str(c).upper().replace(".", "").strip() for c in values]
    bad = [c for c in out if not c.isalnum()]
    if bad:
        raise ValueError(f"codes must be letters and digits, got {bad}")
    return out


def sql_code_prefix_match(col: str, prefixes: list[str], listed: bool = False) -> str:
    """SQL that is true when code column ``col`` starts with any of ``prefixes`` (as made by
    `normalise_code_prefixes`), ignoring case, dots and spaces; ``listed``: ``col`` holds a
    ';'-separated list and any element may match."""
    norm = f"replace(replace(upper(coalesce({col}, '')), '.', ''), ' ', '')"
    prefixes = [c.replace("'", "''") for c in prefixes]
    if listed:
        terms = [f"(';' || {norm}) LIKE '%;{c}%'" for c in prefixes]
    else:
        terms = [f"{norm} LIKE '{c}%'" for c in prefixes]
    return "(" + " OR ".join(terms) + ")"
