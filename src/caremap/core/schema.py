"""The canonical data model: every input table caremap knows, written once.

Each table is a `TableSpec`: its columns (type, whether required, which code validator
applies, whether the column identifies a person) and its primary key. Ingestion validates
against these specs, the synthetic economy writes them, and `docs/data-model.md` describes
them. Result tables written by pipeline steps are not declared here; each capability owns
its own.

Ground-truth tables of the synthetic economy live in the separate ``truth`` schema, which no
pipeline step reads (a test checks this).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TYPES = ("VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN")

SOURCE_SYSTEMS = ("gp", "ae", "inpatient", "outpatient", "ambulance", "community", "social_care")
SETTINGS = SOURCE_SYSTEMS
SEXES = ("M", "F", "U")
CONDITIONS = (
    "hypertension",
    "diabetes",
    "copd",
    "asthma",
    "chd",
    "heart_failure",
    "ckd",
    "dementia",
    "cancer",
    "depression",
    "frailty",
)
ADMISSION_METHODS = ("elective", "emergency", "maternity", "transfer", "other")
SITE_TYPES = (
    "acute_hospital",
    "gp_practice",
    "ambulance_station",
    "surgical_hub",
    "diagnostic_centre",
    "community_hospital",
    "care_home",
)
PROVIDER_TYPES = (
    "acute_trust",
    "gp_practice",
    "ambulance_trust",
    "community_trust",
    "local_authority",
    "independent_sector",
)
ACUTE_TIERS = ("teaching", "district_general", "small")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``check`` names a code validator from `caremap.core.codes` (``nhs_number``, ``postcode``,
    ``icd10``, ``icd10_list``, ``opcs4``, ``sex``) or is None. ``allowed`` restricts a
    VARCHAR to a closed list. ``pid`` marks person-identifiable data, which never leaves the
    workspace except through a role that may see it.
    """

    name: str
    type: str = "VARCHAR"
    required: bool = False
    check: str | None = None
    allowed: tuple[str, ...] | None = None
    pid: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: name, columns, primary key and what it holds."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str
    schema: str = "main"
    derived: tuple[Column, ...] = field(default=())

    @property
    def qualified(self) -> str:
        return self.name if self.schema == "main" else f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in (*self.columns, *self.derived):
            if c.name == name:
                return c
        raise KeyError(f"{self.qualified} has no column {name}")

    def ddl(self) -> str:
        cols = ", ".join(f'"{c.name}" {c.type}' for c in (*self.columns, *self.derived))
        return f"CREATE TABLE IF NOT EXISTS {self.qualified} ({cols})"


C = Column


def _t(name: str, key: tuple[str, ...], description: str, *cols: Column, **kw) -> TableSpec:
    return TableSpec(name=name, columns=tuple(cols), key=key, description=description, **kw)


GEOGRAPHY = [
    _t(
        "region",
        ("region_code",),
        "NHS regions.",
        C("region_code", required=True),
        C("region_name"),
    ),
    _t(
        "ics",
        ("ics_code",),
        "Integrated care systems (about one per million people).",
        C("ics_code", required=True),
        C("ics_name"),
        C("region_code", required=True),
    ),
    _t(
        "locality",
        ("locality_code",),
        "Localities (about 50,000 people) as supplied; `caremap needs` can build its own.",
        C("locality_code", required=True),
        C("locality_name"),
        C("ics_code", required=True),
    ),
    _t(
        "small_area",
        ("area_code",),
        "Small areas (LSOA-like, about 1,500 people) with centroid, deprivation and place.",
        C("area_code", required=True),
        C("area_name"),
        C("locality_code"),
        C("ics_code", required=True),
        C("region_code"),
        C("easting", "DOUBLE", required=True, description="centroid, metres"),
        C("northing", "DOUBLE", required=True, description="centroid, metres"),
        C("imd_score", "DOUBLE", description="deprivation score, higher is more deprived"),
        C("imd_decile", "INTEGER", description="1 = most deprived tenth"),
        C("rural_urban", allowed=("city", "town", "rural", "coastal")),
        C("settlement", description="town or city the area belongs to"),
        C("road_node", "BIGINT", description="nearest node of the road network"),
    ),
    _t(
        "population",
        ("area_code", "year", "sex", "age_from"),
        "Resident population by small area, year, sex and age band (ESP 2013 bands).",
        C("area_code", required=True),
        C("year", "INTEGER", required=True),
        C("sex", required=True, check="sex"),
        C("age_band", required=True, description="label: 0, 1-4, 5-9, ..., 90+"),
        C("age_from", "INTEGER", required=True),
        C("population", "INTEGER", required=True),
    ),
    _t(
        "postcode",
        ("postcode",),
        "Postcode directory: each postcode's small area and whether it is still live.",
        C("postcode", required=True, check="postcode"),
        C("area_code", required=True),
        C("easting", "DOUBLE"),
        C("northing", "DOUBLE"),
        C("live", "BOOLEAN", description="false for terminated (old) postcodes"),
    ),
    _t(
        "road_node",
        ("node_id",),
        "Nodes of the road network.",
        C("node_id", "BIGINT", required=True),
        C("easting", "DOUBLE", required=True),
        C("northing", "DOUBLE", required=True),
    ),
    _t(
        "road_link",
        ("link_id",),
        "Road links (undirected) with class and speed, for travel times.",
        C("link_id", "BIGINT", required=True),
        C("from_node", "BIGINT", required=True),
        C("to_node", "BIGINT", required=True),
        C("road_class", allowed=("motorway", "a_road", "b_road", "minor"), required=True),
        C("length_km", "DOUBLE", required=True),
        C("speed_kph", "DOUBLE", required=True),
    ),
]

SITES = [
    _t(
        "provider",
        ("provider_code",),
        "Organisations that provide care.",
        C("provider_code", required=True),
        C("provider_name"),
        C("provider_type", required=True, allowed=PROVIDER_TYPES),
        C("ics_code"),
    ),
    _t(
        "site",
        ("site_code",),
        "Places where care is given: hospitals, practices, stations, hubs, centres.",
        C("site_code", required=True),
        C("site_name"),
        C("provider_code", required=True),
        C("site_type", required=True, allowed=SITE_TYPES),
        C("tier", allowed=ACUTE_TIERS, description="acute hospitals only"),
        C("area_code"),
        C("postcode", check="postcode"),
        C("easting", "DOUBLE"),
        C("northing", "DOUBLE"),
        C("road_node", "BIGINT"),
        C("beds", "INTEGER"),
        C("list_size", "INTEGER", description="GP practices: registered patients"),
    ),
    _t(
        "site_capability",
        ("site_code", "capability"),
        "What each site can do (ae, major_trauma_centre, trauma_unit, stroke, ...).",
        C("site_code", required=True),
        C("capability", required=True),
    ),
]

PEOPLE = [
    _t(
        "source_record",
        ("source_system", "record_id"),
        "A person's identity as held by one source system. Linkage turns these into persons.",
        C("source_system", required=True, allowed=SOURCE_SYSTEMS),
        C("record_id", required=True),
        C("nhs_number", check="nhs_number_soft", pid=True, description="as received"),
        C("given_name", pid=True),
        C("family_name", pid=True),
        C("date_of_birth", "DATE", pid=True),
        C("sex", check="sex"),
        C("postcode", check="postcode_soft", pid=True),
        C("address", pid=True),
        C("practice_code"),
        C("date_of_death", "DATE", pid=True),
        C("record_date", "DATE", description="date the record was last updated"),
        derived=(
            C("nhs_number_valid", "BOOLEAN", description="passes Modulus 11"),
            C("postcode_valid", "BOOLEAN", description="well-formed UK postcode"),
        ),
    ),
    _t(
        "condition",
        ("source_system", "record_id", "condition"),
        "Long-term conditions recorded on a source record (the GP problem list).",
        C("source_system", required=True, allowed=SOURCE_SYSTEMS),
        C("record_id", required=True),
        C("condition", required=True, allowed=CONDITIONS),
        C("code", check="icd10"),
        C("diagnosed_date", "DATE"),
    ),
    _t(
        "activity",
        ("activity_id",),
        "Contacts, attendances, admissions and care packages from every source system.",
        C("activity_id", required=True),
        C("source_system", required=True, allowed=SOURCE_SYSTEMS),
        C("record_id", required=True),
        C("setting", required=True, allowed=SETTINGS),
        C("start_date", "DATE", required=True),
        C("end_date", "DATE"),
        C("site_code"),
        C("provider_code"),
        C("admission_method", allowed=ADMISSION_METHODS),
        C("point_of_delivery", description="e.g. NEL, EL, DC, OPFA, OPFU, AE, CONS, CARE"),
        C("specialty", description="treatment function code"),
        C("primary_diagnosis", check="icd10"),
        C("secondary_diagnoses", check="icd10_list", description="ICD-10 codes, ';'-separated"),
        C("procedure_code", check="opcs4"),
        C("cost", "DOUBLE", description="pounds"),
    ),
    _t(
        "trauma_incident",
        ("incident_id",),
        "Injury incidents attended by ambulance, with place and severity.",
        C("incident_id", required=True),
        C("incident_time", "TIMESTAMP", required=True),
        C("area_code", required=True),
        C("easting", "DOUBLE"),
        C("northing", "DOUBLE"),
        C("road_node", "BIGINT"),
        C("age", "INTEGER"),
        C("sex", check="sex"),
        C("mechanism"),
        C("road_class"),
        C("iss", "INTEGER", description="Injury Severity Score (1-75)"),
        C("source_system", allowed=SOURCE_SYSTEMS),
        C("record_id"),
    ),
    _t(
        "waiting_pathway",
        ("pathway_id",),
        "Referral-to-treatment pathways: clock start, clock stop and why it stopped.",
        C("pathway_id", required=True),
        C("source_system", allowed=SOURCE_SYSTEMS),
        C("record_id"),
        C("provider_code", required=True),
        C("site_code"),
        C("specialty", required=True),
        C("priority", allowed=("P1", "P2", "P3", "P4", "routine", "urgent")),
        C("referral_date", "DATE", required=True),
        C("clock_stop_date", "DATE"),
        C("stop_reason", allowed=("treated", "removed", "died", "other")),
    ),
    _t(
        "contract",
        ("contract_id",),
        "Contracts between commissioners and providers.",
        C("contract_id", required=True),
        C("commissioner_code", required=True),
        C("provider_code", required=True),
        C("contract_type"),
        C("start_date", "DATE"),
        C("end_date", "DATE"),
        C("annual_value", "DOUBLE"),
    ),
    _t(
        "contract_line",
        ("contract_id", "line_id"),
        "Lines of a contract: service, point of delivery, planned activity and price.",
        C("contract_id", required=True),
        C("line_id", required=True),
        C("service"),
        C("setting", allowed=SETTINGS),
        C("point_of_delivery"),
        C("specialty"),
        C("planned_activity", "DOUBLE"),
        C("unit_price", "DOUBLE"),
        C("value", "DOUBLE", required=True),
    ),
]

TRUTH = [
    _t(
        "person",
        ("person_key",),
        "The true people behind the synthetic source records.",
        C("person_key", "BIGINT", required=True),
        C("nhs_number", pid=True),
        C("given_name", pid=True),
        C("family_name", pid=True),
        C("date_of_birth", "DATE", pid=True),
        C("sex"),
        C("area_code"),
        C("postcode", pid=True),
        C("practice_code"),
        C("household_id", "BIGINT"),
        C("twin_of", "BIGINT"),
        C("date_of_death", "DATE", pid=True),
        C("imd_score", "DOUBLE"),
        schema="truth",
    ),
    _t(
        "record_person",
        ("source_system", "record_id"),
        "Which true person each source record belongs to.",
        C("source_system", required=True),
        C("record_id", required=True),
        C("person_key", "BIGINT", required=True),
        schema="truth",
    ),
    _t(
        "condition",
        ("person_key", "condition"),
        "True long-term conditions (recorded or not).",
        C("person_key", "BIGINT", required=True),
        C("condition", required=True),
        C("onset_date", "DATE"),
        schema="truth",
    ),
    _t(
        "risk",
        ("person_key", "year"),
        "Each person's true probability of emergency admission in each year, and the outcome.",
        C("person_key", "BIGINT", required=True),
        C("year", "INTEGER", required=True),
        C("p_emergency", "DOUBLE", required=True),
        C("emergency_admissions", "INTEGER", required=True),
        schema="truth",
    ),
]

_REGISTRY: dict[str, TableSpec] = {}


def register(spec: TableSpec) -> TableSpec:
    """Add a canonical table (later issues register their own input tables here)."""
    existing = _REGISTRY.get(spec.qualified)
    if existing is not None and existing != spec:
        raise ValueError(f"table {spec.qualified} is already defined differently")
    _REGISTRY[spec.qualified] = spec
    return spec


for _spec in (*GEOGRAPHY, *SITES, *PEOPLE, *TRUTH):
    register(_spec)


def get(name: str) -> TableSpec:
    """The spec of a canonical table by (qualified) name, e.g. ``activity`` or ``truth.person``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown table {name!r}; caremap knows: {known}") from None


def all_tables() -> list[TableSpec]:
    return list(_REGISTRY.values())


# Person-identifiable columns of the result tables that steps write (not canonical inputs, so
# not specs above), marked here so that everything that publishes reads one list: linkage
# internals (`caremap.link.prepare`'s comparison columns), the linked person index, and
# events whose exact time and place identify someone.
RESULT_PID: dict[str, tuple[str, ...]] = {
    "link_input": (
        "nhs", "ident", "given", "given_canon", "given_canons", "given_phon", "family",
        "family_phon", "dob", "dob_str", "postcode", "pc_sector", "pc_district", "address",
    ),
    "person": (
        "nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "address",
        "date_of_death",
    ),
    "trauma_incident": ("incident_time", "easting", "northing"),
    "trauma_process": ("arrival_time",),
}  # fmt: skip
# Column names that are person-identifiable in any table not described above (a result table
# of a later step): identity fields and their linkage encodings.
PID_NAMES = frozenset(
    {
        "nhs_number", "nhs", "nhs_n", "ident", "given_name", "given", "given_canon",
        "given_canons", "given_phon", "family_name", "family", "family_phon", "surname",
        "forename", "date_of_birth", "dob", "dob_str", "date_of_death", "postcode", "pc_sector",
        "address", "email", "phone", "telephone",
    }
)  # fmt: skip


def pid_columns(name: str) -> list[str]:
    """Person-identifiable columns of a canonical table (or of a result table marked in
    `RESULT_PID`)."""
    if name in RESULT_PID and name not in _REGISTRY:
        return list(RESULT_PID[name])
    spec = get(name)
    return [c.name for c in (*spec.columns, *spec.derived) if c.pid]


def is_pid(table: str, column: str) -> bool:
    """Whether a column of any workspace table is person-identifiable: as its spec or
    `RESULT_PID` marks it, else by name (`PID_NAMES`)."""
    spec = _REGISTRY.get(table)
    if spec is not None:
        return any(c.name == column and c.pid for c in (*spec.columns, *spec.derived))
    if table in RESULT_PID:
        return column in RESULT_PID[table]
    return column in PID_NAMES


def _load_extensions() -> None:
    """Import ``caremap.core.schema_ext.*``: each capability's extra input tables."""
    import importlib
    import pkgutil

    from caremap.core import schema_ext

    for mod in sorted(pkgutil.iter_modules(schema_ext.__path__), key=lambda m: m.name):
        importlib.import_module(f"{schema_ext.__name__}.{mod.name}")


_load_extensions()
