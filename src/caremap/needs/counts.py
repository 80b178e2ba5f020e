"""The table-shaped half of needs assessment: counting events and people, in portable SQL.

Every query here is DuckDB-dialect SQL run on the engine (`ws.create_table_as`), so it runs
unchanged on Spark; only aggregates (area x period x age band) come back into Python.

**Residence.** An event belongs to the small area where the patient lives: the linked
person's ``area_code`` when linkage has run (``person_link`` and ``person`` exist), else the
small area of the source record's postcode in the ``postcode`` directory. Events whose area
cannot be found, or whose area is not a known small area, are counted in
``needs_unresolved`` with the reason - never dropped silently.
"""

from __future__ import annotations

from caremap.core.stats.standard_population import age_band_sql
from caremap.core.workspace import Workspace

GEO_LEVELS = ("small_area", "locality", "ics", "region")

# Which activity rows make each indicator.
ACTIVITY_RULES = {
    "emergency_admissions": "a.setting = 'inpatient' AND a.admission_method = 'emergency'",
    "ae_attendances": "a.setting = 'ae'",
    "elective_demand": (
        "(a.setting = 'inpatient' AND a.admission_method = 'elective') OR "
        "(a.setting = 'outpatient' AND upper(coalesce(a.point_of_delivery, '')) = 'OPFA')"
    ),
}

_NORM_PC = "replace(upper({}), ' ', '')"


def linked(ws: Workspace) -> bool:
    """True when linkage results are in the workspace."""
    have = set(ws.list_tables())
    return {"person_link", "person"} <= have


def residence_sql(ws: Workspace) -> str:
    """One row per source record: its residence area, date of birth and a person key."""
    pc_join = ""
    pc_area = "CAST(NULL AS VARCHAR)"
    if ws.has_table("postcode"):
        pc_join = (
            "LEFT JOIN postcode pc ON "
            f"{_NORM_PC.format('r.postcode')} = {_NORM_PC.format('pc.postcode')}"
        )
        pc_area = "pc.area_code"
    if linked(ws):
        return f"""
SELECT r.source_system, r.record_id,
  coalesce(p.area_code, {pc_area}) AS area_code,
  coalesce(p.date_of_birth, r.date_of_birth) AS date_of_birth,
  coalesce(p.date_of_death, r.date_of_death) AS date_of_death,
  coalesce(CAST(p.person_id AS VARCHAR), r.source_system || ':' || r.record_id) AS person_key
FROM source_record r
LEFT JOIN person_link l ON l.source_system = r.source_system AND l.record_id = r.record_id
LEFT JOIN person p ON p.person_id = l.person_id
{pc_join}"""
    return f"""
SELECT r.source_system, r.record_id, {pc_area} AS area_code, r.date_of_birth,
  r.date_of_death, r.source_system || ':' || r.record_id AS person_key
FROM source_record r
{pc_join}"""


def period_sql(date_expr: str, period_type: str) -> str:
    """The period (start year) of a date: calendar year, or NHS financial year (April-March)."""
    if period_type == "financial":
        return (
            f"CAST(year({date_expr}) - CASE WHEN month({date_expr}) < 4 THEN 1 ELSE 0 END "
            "AS INTEGER)"
        )
    return f"CAST(year({date_expr}) AS INTEGER)"


def _events_sql(ws: Workspace, indicators: list[str], period_type: str) -> str:
    age = "floor(date_diff('day', res.date_of_birth, ev.event_date) / 365.25)"
    parts = []
    acts = [i for i in indicators if i in ACTIVITY_RULES]
    if acts and ws.has_table("activity"):
        for ind in acts:
            parts.append(
                f"""SELECT '{ind}' AS indicator, {period_sql("ev.event_date", period_type)} AS period,
  CASE WHEN res.source_system IS NULL THEN 'source record not found'
       WHEN res.area_code IS NULL THEN 'residence not found (no link, postcode unknown)'
       WHEN sa.area_code IS NULL THEN 'residence area not a known small area'
  END AS unresolved,
  sa.area_code,
  {age_band_sql(age)} AS age_from
FROM (SELECT a.source_system, a.record_id, a.start_date AS event_date FROM activity a
      WHERE {ACTIVITY_RULES[ind]}) ev
LEFT JOIN needs_residence res
  ON res.source_system = ev.source_system AND res.record_id = ev.record_id
LEFT JOIN small_area sa ON sa.area_code = res.area_code"""
            )
    if "trauma_incidence" in indicators and ws.has_table("trauma_incident"):
        parts.append(
            f"""SELECT 'trauma_incidence' AS indicator,
  {period_sql("t.incident_time", period_type)} AS period,
  CASE WHEN sa.area_code IS NULL THEN 'incident area not a known small area' END AS unresolved,
  sa.area_code,
  {age_band_sql("t.age")} AS age_from
FROM trauma_incident t
LEFT JOIN small_area sa ON sa.area_code = t.area_code"""
        )
    return "\nUNION ALL\n".join(parts)


def _rollup(select_area: str, value_cols: str, source: str, keys: str) -> str:
    """UNION ALL of the same aggregate at small area, locality, ICS and region level."""
    levels = {
        "small_area": "g.area_code",
        "locality": "g.locality_code",
        "ics": "g.ics_code",
        "region": "g.region_code",
    }
    parts = []
    for level, col in levels.items():
        parts.append(
            f"""SELECT '{level}' AS area_type, {col} AS area_code, {keys}, {value_cols}
FROM {source} s JOIN needs_geo g ON g.area_code = s.{select_area}
WHERE {col} IS NOT NULL
GROUP BY {col}, {keys}"""
        )
    return "\nUNION ALL\n".join(parts)


def build_counts(ws: Workspace, indicators: list[str], period_type: str = "financial") -> list[str]:
    """Materialise the working tables; returns the event indicators that had a source table.

    Writes ``needs_residence``, ``needs_geo``, ``needs_events`` (indicator, period,
    unresolved, area_code, age_from, events), ``needs_counts`` (events rolled up to every
    geography) and ``needs_pop`` (population by geography, year and age band).
    """
    ws.require("small_area", "population")
    if ws.has_table("source_record"):
        ws.create_table_as("needs_residence", residence_sql(ws))
    region = "sa.region_code" if "region_code" in ws.columns("small_area") else "NULL"
    if ws.has_table("ics"):
        region = f"coalesce({region}, i.region_code)"
    ics_join = "LEFT JOIN ics i ON i.ics_code = sa.ics_code" if ws.has_table("ics") else ""
    ws.create_table_as(
        "needs_geo",
        f"""SELECT sa.area_code, m.locality_code, sa.ics_code,
  CAST({region} AS VARCHAR) AS region_code
FROM small_area sa
LEFT JOIN needs_locality_map m ON m.area_code = sa.area_code
{ics_join}""",
    )
    ws.create_table_as(
        "needs_pop",
        _rollup(
            "area_code",
            "sum(s.population) AS population",
            "(SELECT area_code, year, population, "
            f"{age_band_sql('age_from')} AS age_from FROM population)",
            "s.year, s.age_from",
        ),
    )
    have_records = ws.has_table("source_record")
    usable = [
        i
        for i in indicators
        if (i in ACTIVITY_RULES and ws.has_table("activity") and have_records)
        or (i == "trauma_incidence" and ws.has_table("trauma_incident"))
    ]
    if not usable:
        return []
    events = _events_sql(ws, usable, period_type)
    ws.create_table_as(
        "needs_events",
        f"""SELECT indicator, period, unresolved, area_code, age_from, count(*) AS events
FROM ({events}) e
GROUP BY indicator, period, unresolved, area_code, age_from""",
    )
    ws.create_table_as(
        "needs_counts",
        _rollup(
            "area_code",
            "sum(s.events) AS events",
            "(SELECT * FROM needs_events WHERE unresolved IS NULL)",
            "s.indicator, s.period, s.age_from",
        ),
    )
    return usable


def prevalence_sql(conditions_present: bool) -> str:
    """Registered (GP) people and those with each condition, by small area and geography.

    People are distinct person keys (linked person, else the GP record) with a GP record,
    alive, resident in a known small area. Returns area_type, area_code, condition,
    numerator, denominator; condition '*' holds the register size.
    """
    reg = """SELECT DISTINCT res.person_key, sa.area_code
FROM needs_residence res JOIN small_area sa ON sa.area_code = res.area_code
WHERE res.source_system = 'gp' AND res.date_of_death IS NULL"""
    cond = (
        """SELECT DISTINCT res.person_key, sa.area_code, c.condition
FROM condition c
JOIN needs_residence res ON res.source_system = c.source_system AND res.record_id = c.record_id
JOIN small_area sa ON sa.area_code = res.area_code
WHERE res.source_system = 'gp' AND res.date_of_death IS NULL"""
        if conditions_present
        else "SELECT CAST(NULL AS VARCHAR) AS person_key, CAST(NULL AS VARCHAR) AS area_code, "
        "CAST(NULL AS VARCHAR) AS condition WHERE 1 = 0"
    )
    per_area = f"""SELECT area_code, '*' AS condition, count(*) AS people FROM ({reg}) r
GROUP BY area_code
UNION ALL
SELECT area_code, condition, count(*) AS people FROM ({cond}) c GROUP BY area_code, condition"""
    return _rollup("area_code", "sum(s.people) AS people", f"({per_area})", "s.condition")


def unregistered_sql() -> str:
    """GP-registered people left out of prevalence: residence unknown or not a small area."""
    return """SELECT 'prevalence' AS indicator,
  CASE WHEN area_code IS NULL THEN 'residence not found (no link, postcode unknown)'
       ELSE 'residence area not a known small area' END AS reason,
  CAST(count(DISTINCT person_key) AS BIGINT) AS events
FROM (SELECT res.person_key, sa.area_code AS known, res.area_code
      FROM needs_residence res LEFT JOIN small_area sa ON sa.area_code = res.area_code
      WHERE res.source_system = 'gp' AND res.date_of_death IS NULL) r
WHERE known IS NULL
GROUP BY 2"""


def unresolved_sql() -> str:
    """Events that could not be placed in a small area, by indicator, period and reason."""
    return """SELECT indicator, period, unresolved AS reason, CAST(sum(events) AS BIGINT) AS events
FROM needs_events WHERE unresolved IS NOT NULL
GROUP BY indicator, period, unresolved"""


def coverage_sql(ws: Workspace, indicators: list[str]) -> str:
    """First and last event date of each indicator (to flag partly covered years)."""
    parts = [
        f"SELECT '{i}' AS indicator, min(a.start_date) AS first, max(a.start_date) AS last "
        f"FROM activity a WHERE {ACTIVITY_RULES[i]}"
        for i in indicators
        if i in ACTIVITY_RULES
    ]
    if "trauma_incidence" in indicators:
        parts.append(
            "SELECT 'trauma_incidence' AS indicator, CAST(min(incident_time) AS DATE) AS first, "
            "CAST(max(incident_time) AS DATE) AS last FROM trauma_incident"
        )
    return "\nUNION ALL\n".join(parts)


# --- deaths and deprivation (life expectancy, SII) -------------------------------------------

LE_BAND_SQL = (
    "CASE WHEN {a} < 0 THEN NULL WHEN {a} >= 90 THEN 90 WHEN {a} < 1 THEN 0 "
    "WHEN {a} < 5 THEN 1 ELSE CAST(floor({a} / 5) * 5 AS INTEGER) END"
)


def _rollup_decile(value_cols: str, source: str, keys: str) -> str:
    """`_rollup` at every geography (decile NULL) and, above small areas, by the IMD decile
    of the small areas (decile 1 = most deprived)."""
    levels = {"locality": "g.locality_code", "ics": "g.ics_code", "region": "g.region_code"}
    parts = [
        f"""SELECT area_type, area_code, CAST(NULL AS INTEGER) AS decile, {keys.replace("s.", "")},
  {value_cols.split(" AS ")[-1]}
FROM ({_rollup("area_code", value_cols, source, keys)}) t"""
    ]
    for level, col in levels.items():
        parts.append(
            f"""SELECT '{level}' AS area_type, {col} AS area_code, sa.imd_decile AS decile, {keys},
  {value_cols}
FROM {source} s JOIN needs_geo g ON g.area_code = s.area_code
JOIN small_area sa ON sa.area_code = s.area_code
WHERE {col} IS NOT NULL AND sa.imd_decile IS NOT NULL
GROUP BY {col}, sa.imd_decile, {keys}"""
        )
    return "\nUNION ALL\n".join(parts)


def build_mortality(ws: Workspace, period_type: str = "financial") -> bool:
    """Deaths and populations in life-table bands (0, 1-4, 5-9, ..., 90+), by geography and
    by IMD decile: ``needs_deaths`` (area_type, area_code, decile, period, age_from, deaths)
    and ``needs_pop_le`` (... year, age_from, population). A death is a person (linked
    person, else a record) with a date of death, resident in a known small area. Also
    ``needs_events_decile`` and ``needs_pop_decile`` (ESP 2013 bands) for rates by decile.
    Returns False (and writes nothing) when there are no deaths or no deprivation deciles.
    """
    if not ws.has_table("needs_residence") or "imd_decile" not in ws.columns("small_area"):
        return False
    n = ws.scalar("SELECT count(*) FROM needs_residence WHERE date_of_death IS NOT NULL")
    if not n:
        return False
    age = "floor(date_diff('day', d.date_of_birth, d.date_of_death) / 365.25)"
    deaths = f"""(SELECT sa.area_code, {period_sql("d.date_of_death", period_type)} AS period,
  {LE_BAND_SQL.format(a=age)} AS age_from, 1 AS one
FROM (SELECT person_key, min(area_code) AS area_code, min(date_of_birth) AS date_of_birth,
        min(date_of_death) AS date_of_death
      FROM needs_residence WHERE date_of_death IS NOT NULL GROUP BY person_key) d
JOIN small_area sa ON sa.area_code = d.area_code
WHERE d.date_of_birth IS NOT NULL)"""
    ws.create_table_as(
        "needs_deaths",
        _rollup_decile("sum(s.one) AS deaths", deaths, "s.period, s.age_from"),
    )
    ws.create_table_as(
        "needs_pop_le",
        _rollup_decile(
            "sum(s.population) AS population",
            f"(SELECT area_code, year, population, {LE_BAND_SQL.format(a='age_from')} AS age_from "
            "FROM population)",
            "s.year, s.age_from",
        ),
    )
    if ws.has_table("needs_events"):
        ws.create_table_as(
            "needs_events_decile",
            f"""SELECT * FROM ({
                _rollup_decile(
                    "sum(s.events) AS events",
                    "(SELECT * FROM needs_events WHERE unresolved IS NULL)",
                    "s.indicator, s.period, s.age_from",
                )
            }) x WHERE decile IS NOT NULL""",
        )
    ws.create_table_as(
        "needs_pop_decile",
        f"""SELECT * FROM ({
            _rollup_decile(
                "sum(s.population) AS population",
                "(SELECT area_code, year, population, "
                f"{age_band_sql('age_from')} AS age_from FROM population)",
                "s.year, s.age_from",
            )
        }) x WHERE decile IS NOT NULL""",
    )
    return True
