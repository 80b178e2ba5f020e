"""Cleaning records for linkage: junk filters, NHS number checks, name and postcode forms.

The input is any relation with the standard raw columns (``source``, ``record_id``,
``nhs_raw``, ``ident_raw``, ``given_raw``, ``family_raw``, ``dob``, ``sex_raw``,
``postcode_raw``, ``address_raw``, ``record_date``); `source_record_relation` maps the
workspace's ``source_record`` onto them and `caremap.link.files` maps plain files. The output
(``link_input``) has one row per record with a dense integer ``uid`` and the evidence Splink
compares. Placeholders become NULL, so they are never evidence for a match: junk names
(UNKNOWN, BABY OF ...), placeholder dates of birth (01/01/1900), NHS numbers failing
Modulus 11 or on the placeholder list, NHS pseudo-postcodes (ZZ99). A record left with too
little evidence gets ``unusable_reason`` and becomes its own person.
"""

from __future__ import annotations

from caremap.core import codes
from caremap.core.sql import in_list, quote_str
from caremap.core.workspace import Workspace
from caremap.link.config import LinkConfig
from caremap.link.names import name_lookup

RAW_COLUMNS = (
    "source",
    "record_id",
    "nhs_raw",
    "token_raw",
    "ident_raw",
    "given_raw",
    "family_raw",
    "dob",
    "dob_text_raw",
    "sex_raw",
    "postcode_raw",
    "address_raw",
    "area_raw",
    "record_date",
)

# Columns of link_input that the Splink model compares (and the engine hands to Splink).
EVIDENCE = (
    "uid",
    "source",
    "nhs",
    "ident",
    "given",
    "given_canon",
    "given_canons",
    "given_phon",
    "family",
    "family_phon",
    "dob",
    "dob_str",
    "sex",
    "postcode",
    "pc_sector",
    "pc_district",
    "address",
    "address_tokens",
    "area",
)

NAMES_VIEW = "_link_names"

# Learned defaults: an NHS number carried with at least this many different dates of birth
# and family names is a placeholder; a date of birth carried by at least this many family
# names and this many times the 99th percentile of all dates is a default value.
SHARED_MIN_PEOPLE = 4
SHARED_MIN_DOB_PEOPLE = 10
SHARED_DOB_RATIO = 8


def source_record_relation() -> str:
    """The workspace's ``source_record`` under the standard raw column names."""
    return (
        "SELECT source_system AS source, CAST(record_id AS VARCHAR) AS record_id, "
        "nhs_number AS nhs_raw, CAST(NULL AS VARCHAR) AS token_raw, "
        "CAST(NULL AS VARCHAR) AS ident_raw, given_name AS given_raw, "
        "family_name AS family_raw, date_of_birth AS dob, CAST(NULL AS VARCHAR) AS dob_text_raw, sex AS sex_raw, "
        "postcode AS postcode_raw, address AS address_raw, CAST(NULL AS VARCHAR) AS area_raw, "
        "record_date FROM source_record"
    )


def register_names(ws: Workspace, relation: str) -> None:
    """Build the name lookup for every distinct given and family name in ``relation``."""
    names = ws.sql(
        f"SELECT DISTINCT given_raw AS n FROM ({relation}) "
        f"UNION SELECT DISTINCT family_raw FROM ({relation})"
    ).column("n")
    ws.register_temp(NAMES_VIEW, name_lookup(names.to_pylist()))


def prepare_sql(relation: str, config: LinkConfig, uid_offset: int = 0) -> str:
    """SELECT producing ``link_input`` rows from ``relation`` (names must be registered)."""
    nhs_n = codes.sql_nhs_normalised("r.nhs_raw")
    pc_n = codes.sql_postcode_normalised("r.postcode_raw")
    junk_dobs = ", ".join(f"DATE '{d.isoformat()}'" for d in config.junk_dates_of_birth)
    placeholders = in_list(config.placeholder_nhs_numbers)
    return f"""
WITH r AS (
  SELECT r.*, coalesce({nhs_n}, 'T' || nullif(trim(CAST(r.token_raw AS VARCHAR)), ''))
           AS nhs_n, {pc_n} AS pc_n,
         nullif(upper(trim(CAST(r.ident_raw AS VARCHAR))), '') AS ident_n
  FROM ({relation}) r
), shared_nhs AS (
  -- a number held by records of many different people is a default, whatever its digits
  SELECT nhs_n FROM r WHERE nhs_n IS NOT NULL GROUP BY nhs_n
  HAVING count(DISTINCT r.dob) >= {SHARED_MIN_PEOPLE}
     AND (count(DISTINCT upper(r.family_raw)) >= {SHARED_MIN_PEOPLE}
          OR count(r.family_raw) = 0)
), dob_people AS (
  SELECT dob, count(DISTINCT upper(family_raw)) AS k FROM r WHERE dob IS NOT NULL
  GROUP BY dob
), shared_dob AS (
  -- a date of birth held by far more people than any ordinary date is a default value
  SELECT dob FROM dob_people
  WHERE k >= greatest({SHARED_MIN_DOB_PEOPLE},
    {SHARED_DOB_RATIO} * (SELECT approx_quantile(k, 0.99) FROM dob_people))
), c AS (
  SELECT r.source, r.record_id, r.record_date, r.nhs_raw, r.token_raw, r.dob AS dob_raw,
    r.dob_text_raw,
    CASE WHEN r.nhs_n IS NULL THEN NULL
         WHEN r.nhs_n LIKE 'T%' AND r.nhs_n IN (SELECT nhs_n FROM shared_nhs)
           THEN 'placeholder'
         WHEN r.nhs_n LIKE 'T%' THEN 'ok'
         WHEN NOT {codes.sql_nhs_valid("r.nhs_n")} THEN 'invalid'
         WHEN r.nhs_n IN {placeholders}
           OR r.nhs_n IN (SELECT nhs_n FROM shared_nhs) THEN 'placeholder'
         ELSE 'ok' END AS nhs_state,
    r.nhs_n, r.ident_n AS ident,
    g.clean AS given, g.canon AS given_canon, g.canons AS given_canons,
    g.phon AS given_phon,
    f.clean AS family, f.phon AS family_phon,
    CASE WHEN r.dob IN ({junk_dobs}) OR r.dob < DATE '1880-01-01'
           OR r.dob IN (SELECT dob FROM shared_dob) THEN NULL ELSE r.dob END AS dob,
    CASE WHEN upper(trim(r.sex_raw)) IN ('M', 'MALE', '1') THEN 'M'
         WHEN upper(trim(r.sex_raw)) IN ('F', 'FEMALE', '2') THEN 'F' END AS sex,
    CASE WHEN r.pc_n IS NULL OR r.pc_n LIKE 'ZZ99%' THEN NULL ELSE r.pc_n END AS postcode,
    nullif(trim(regexp_replace(upper(CAST(r.address_raw AS VARCHAR)), '[^A-Z0-9 ]', '', 'g')),
      '') AS address,
    nullif(upper(trim(CAST(r.area_raw AS VARCHAR))), '') AS area
  FROM r
  LEFT JOIN {NAMES_VIEW} g ON g.raw = r.given_raw
  LEFT JOIN {NAMES_VIEW} f ON f.raw = r.family_raw
), k AS (
  -- uids in (source, record_id) order, numbered on the key alone (sorting the wide rows
  -- costs several times more); the key is unique in source_record and in linked files
  SELECT source AS k_source, record_id AS k_record_id,
    CAST(row_number() OVER (ORDER BY source, record_id) - 1 + {int(uid_offset)} AS BIGINT) AS uid
  FROM ({relation}) x
)
SELECT
  k.uid, source, record_id, record_date,
  CASE WHEN nhs_state = 'ok' THEN nhs_n END AS nhs,
  ident, given, given_canon, given_canons, given_phon, family, family_phon, dob,
  -- a date of birth that is not a date (19948031) still compares by its characters
  coalesce(CAST(dob AS VARCHAR), CASE WHEN dob_raw IS NULL THEN dob_text_raw END) AS dob_str,
  sex, postcode,
  CASE WHEN {codes.sql_postcode_valid("postcode")}
       THEN substr(postcode, 1, length(postcode) - 2) END AS pc_sector,
  CASE WHEN {codes.sql_postcode_valid("postcode")}
       THEN substr(postcode, 1, length(postcode) - 4) END AS pc_district,
  address,
  list_distinct(list_filter(string_split(address, ' '), lambda t: t <> '')) AS address_tokens,
  area,
  -- usable: an identifier, or a date of birth with a name or a place, or both names with a
  -- place, or a family name with a full address (a postcode alone is shared by a household)
  CASE WHEN nhs_state = 'ok' OR ident IS NOT NULL
         OR (dob IS NOT NULL AND (given IS NOT NULL OR family IS NOT NULL
             OR postcode IS NOT NULL OR address IS NOT NULL OR area IS NOT NULL))
         OR (given IS NOT NULL AND family IS NOT NULL
             AND (postcode IS NOT NULL OR address IS NOT NULL OR area IS NOT NULL))
         OR (family IS NOT NULL AND address IS NOT NULL)
       THEN NULL
       ELSE 'too little to link on: ' || concat_ws(', ',
         CASE WHEN nhs_raw IS NULL AND token_raw IS NULL THEN 'no NHS number'
              WHEN nhs_state = 'invalid' THEN 'NHS number fails Modulus 11'
              WHEN nhs_state = 'placeholder' THEN 'placeholder NHS number' END,
         CASE WHEN dob_raw IS NULL THEN 'no date of birth'
              WHEN dob IS NULL THEN 'placeholder date of birth' END,
         CASE WHEN given IS NULL THEN 'no usable given name' END,
         CASE WHEN family IS NULL THEN 'no usable family name' END,
         CASE WHEN postcode IS NULL AND address IS NULL AND area IS NULL
              THEN 'no usable address' END)
  END AS unusable_reason
FROM c JOIN k ON k.k_source = c.source AND k.k_record_id = c.record_id
"""


def deterministic_edges_sql(table: str = "link_input") -> str:
    """The first pass: records sharing a valid NHS number and date of birth, as edges to the
    lowest uid of their group (NHS England's Personal Demographics Service trace starts the
    same way: NHS number with date of birth)."""
    return f"""
SELECT uid AS uid_l, first_uid AS uid_r FROM (
  SELECT uid, min(uid) OVER (PARTITION BY nhs, dob) AS first_uid
  FROM {table} WHERE nhs IS NOT NULL AND dob IS NOT NULL AND unusable_reason IS NULL
) WHERE uid <> first_uid
"""


def source_filter(sources: list[str]) -> str:
    return "source IN (" + ", ".join(quote_str(s) for s in sources) + ")"
