"""The validation SQL of ingestion: one query types, checks and explains every row.

Written once in DuckDB's dialect (Spark runs it through sqlglot). For each column: the text
normalised (trimmed, codes in canonical form), then typed (NULL unless the whole text is a
value of the type: anchored patterns, finite numbers), then the first failing check as a
reason: required, type, code format, closed list, plausibility (`caremap.core.plausibility`).
A row with any reason, or a key seen on an earlier row, is quarantined.
"""

from __future__ import annotations

from datetime import date

from caremap.core import codes, schema
from caremap.core.plausibility import Rule, sql_whens
from caremap.core.sql import quote_ident, quote_str

_NORMALISERS = {
    "nhs_number": codes.sql_nhs_normalised,
    "nhs_number_soft": codes.sql_nhs_normalised,
    "postcode": codes.sql_postcode_normalised,
    "postcode_soft": codes.sql_postcode_normalised,
    "icd10": codes.sql_icd10_normalised,
    "opcs4": codes.sql_opcs4_normalised,
    "sex": codes.sql_sex_normalised,
}
_VALIDATORS = {
    "nhs_number": (codes.sql_nhs_valid, "fails the NHS number Modulus 11 check"),
    "postcode": (codes.sql_postcode_valid, "is not a UK postcode (e.g. LS1 4AP)"),
    "icd10": (codes.sql_icd10_valid, "is not an ICD-10 code (e.g. J44.1 or J441)"),
    "opcs4": (codes.sql_opcs4_valid, "is not an OPCS-4 code (e.g. W37.1 or W371)"),
}
_ICD10_LIST_RE = "^[A-Z][0-9]{2}([0-9A-Z]{1,2})?(;[A-Z][0-9]{2}([0-9A-Z]{1,2})?)*$"


_MAX_DOUBLE = "1.7976931348623157e308"
_NUMBER_RE = {
    "DOUBLE": "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$",
    "INTEGER": "^[+-]?[0-9]+([.]0*)?$",
    "BIGINT": "^[+-]?[0-9]+([.]0*)?$",
}
# The whole value, anchored: a date, optionally with a time (which a date column drops).
_ISO_RE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?$"
_UK_DATE_RE = "^[0-9]{2}/[0-9]{2}/[0-9]{4}$"
_EXPECT = {
    "DATE": "a date (YYYY-MM-DD or DD/MM/YYYY)",
    "TIMESTAMP": "a date-time (YYYY-MM-DD HH:MM:SS)",
    "BOOLEAN": "true or false",
    "DOUBLE": "a finite number (e.g. 12.5 or 1.2e3; not inf or NaN)",
}


def _typed(col: str, type_: str) -> str:
    """SQL for the value of text ``col`` as ``type_``; NULL unless the whole text is one."""
    if type_ == "VARCHAR":
        return col
    if type_ == "DATE":
        return (
            f"(CASE WHEN regexp_matches({col}, '{_ISO_RE}') "
            f"THEN TRY_CAST(substr({col}, 1, 10) AS DATE) "
            f"WHEN regexp_matches({col}, '{_UK_DATE_RE}') "
            f"THEN TRY_CAST(substr({col}, 7, 4) || '-' || substr({col}, 4, 2) || '-' || "
            f"substr({col}, 1, 2) AS DATE) ELSE NULL END)"
        )
    if type_ == "TIMESTAMP":
        return (
            f"(CASE WHEN regexp_matches({col}, '{_ISO_RE}') THEN TRY_CAST({col} AS TIMESTAMP) END)"
        )
    if type_ == "DOUBLE":
        cast = f"TRY_CAST({col} AS DOUBLE)"
        return (
            f"(CASE WHEN regexp_matches({col}, '{_NUMBER_RE['DOUBLE']}') "
            f"AND abs({cast}) <= {_MAX_DOUBLE} THEN {cast} END)"
        )
    if type_ in _NUMBER_RE:
        return (
            f"(CASE WHEN regexp_matches({col}, '{_NUMBER_RE[type_]}') "
            f"THEN TRY_CAST({col} AS {type_}) END)"
        )
    return f"TRY_CAST({col} AS {type_})"


def validation_sql(
    spec: schema.TableSpec, stage: str, typed: set[str], rules: list[Rule], today: date
) -> str:
    """One row per input row: normalised, typed values and a reason column per check.

    Three steps: ``n`` normalises the text (trim, codes), ``t`` types it (``v_`` columns),
    and the outer select gives each column's first failing check, plausibility last.
    """
    norm_cols, typed_cols, out_cols = [], [], []
    for c in spec.columns:
        raw = quote_ident(c.name)
        if c.name in typed:
            norm = raw
        elif c.check in _NORMALISERS:
            norm = _NORMALISERS[c.check](f"NULLIF(trim({raw}), '')")
        elif c.check == "icd10_list":
            norm = f"NULLIF(replace(replace(upper({raw}), '.', ''), ' ', ''), '')"
        else:
            norm = f"NULLIF(trim({raw}), '')"
        norm_cols.append(
            f"{norm} AS {quote_ident('n_' + c.name)}, {raw} AS {quote_ident('r_' + c.name)}"
        )
        nv = quote_ident("n_" + c.name)
        typed_cols.append(
            f"{nv if c.name in typed else _typed(nv, c.type)} AS {quote_ident('v_' + c.name)}"
        )

    def value_of(name: str) -> str:
        return quote_ident("v_" + name)

    for c in spec.columns:
        nv = quote_ident("n_" + c.name)
        rv = quote_ident("r_" + c.name)
        value = value_of(c.name)
        out_cols.append(f"{value} AS {quote_ident(c.name)}")
        reason = _reason_expr(
            c, nv, rv, value, c.name in typed, sql_whens(spec, rules, c.name, value_of, today)
        )
        out_cols.append(f"{reason} AS {quote_ident('why_' + c.name)}")
    keys = ", ".join(quote_ident("n_" + k) for k in spec.key)
    out_cols.append(
        f"CASE WHEN row_number() OVER (PARTITION BY {keys} ORDER BY _row) > 1 "
        f"THEN 'duplicate key: the same {'/'.join(spec.key)} appears on an earlier row' "
        f"END AS _why_key"
    )
    for d in spec.derived:
        out_cols.append(f"{_derived_expr(spec, d.name)} AS {quote_ident(d.name)}")
    return (
        f"WITH n AS (SELECT _row, {', '.join(norm_cols)} FROM {stage}), "
        f"t AS (SELECT *, {', '.join(typed_cols)} FROM n) "
        f"SELECT _row, {', '.join(out_cols)} FROM t"
    )


def _reason_expr(
    c: schema.Column, nv: str, rv: str, value: str, typed: bool, plausible: list[str]
) -> str:
    whens = []
    if c.required:
        whens.append(f"WHEN {nv} IS NULL THEN 'required value is missing'")
    if not typed and c.type != "VARCHAR":
        expect = _EXPECT.get(c.type, f"a number ({c.type.lower()})")
        whens.append(f"WHEN {nv} IS NOT NULL AND {value} IS NULL THEN 'is not {expect}'")
    if typed and c.type == "DOUBLE":
        whens.append(
            f"WHEN {value} IS NOT NULL AND NOT abs({value}) <= {_MAX_DOUBLE} "
            "THEN 'is not a finite number (inf or NaN)'"
        )
    if c.check == "sex":
        whens.append(
            f"WHEN {rv} IS NOT NULL AND trim({rv}) <> '' AND {nv} IS NULL "
            "THEN 'is not a sex code (M, F, U, 1, 2, 0 or 9)'"
        )
    elif c.check in _VALIDATORS:
        fn, msg = _VALIDATORS[c.check]
        whens.append(f"WHEN {nv} IS NOT NULL AND NOT {fn(nv)} THEN {quote_str(msg)}")
    elif c.check == "icd10_list":
        whens.append(
            f"WHEN {nv} IS NOT NULL AND NOT regexp_matches({nv}, '{_ICD10_LIST_RE}') "
            "THEN 'is not a list of ICD-10 codes separated by ;'"
        )
    if c.allowed:
        listed = ", ".join(quote_str(a) for a in c.allowed)
        whens.append(
            f"WHEN {nv} IS NOT NULL AND {nv} NOT IN ({listed}) "
            f"THEN {quote_str('is not one of: ' + ', '.join(c.allowed))}"
        )
    whens += plausible
    return f"(CASE {' '.join(whens)} ELSE NULL END)" if whens else "CAST(NULL AS VARCHAR)"


def _derived_expr(spec: schema.TableSpec, name: str) -> str:
    if name == "nhs_number_valid":
        nv = quote_ident("n_nhs_number")
        return f"coalesce({codes.sql_nhs_valid(nv)}, FALSE)"
    if name == "postcode_valid":
        nv = quote_ident("n_postcode")
        return f"coalesce({codes.sql_postcode_valid(nv)}, FALSE)"
    raise KeyError(f"{spec.qualified}: no rule computes derived column {name}")


def failure_flags(spec: schema.TableSpec) -> list[str]:
    return [f"{quote_ident('why_' + c.name)} IS NOT NULL" for c in spec.columns] + [
        "_why_key IS NOT NULL"
    ]


def reasons_union(spec: schema.TableSpec, checked: str) -> str:
    parts = [
        f"SELECT _row, {quote_str(c.name)} AS field, {quote_ident('why_' + c.name)} AS reason "
        f"FROM {checked} WHERE {quote_ident('why_' + c.name)} IS NOT NULL"
        for c in spec.columns
    ]
    parts.append(
        f"SELECT _row, {quote_str(', '.join(spec.key))} AS field, _why_key AS reason "
        f"FROM {checked} WHERE _why_key IS NOT NULL"
    )
    return " UNION ALL ".join(parts)
