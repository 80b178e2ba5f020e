"""Input tables for service standards, outcomes and pooled budgets (issue 7).

* ``trauma_process``: one row per injured patient's arrival at a hospital, with the clinical
  process times that national trauma standards measure and the 30-day outcome (as a trauma
  audit such as TARN records them).
* ``site_process_month``: site-level monthly process measures (numerator over denominator)
  for elective surgical hubs and community diagnostic centres.
* ``derogation``: time-limited permission for a site not to meet a criterion.
* ``gp_federation``: which GP federation (and locality) each practice belongs to.
* ``truth.standards_failure``: the deliberate failures the synthetic economy plants.
"""

from __future__ import annotations

from caremap.core.schema import Column as C
from caremap.core.schema import TableSpec, register

TRAUMA_PROCESS = register(
    TableSpec(
        name="trauma_process",
        key=("process_id",),
        description="Trauma audit: each injured patient's arrival at a hospital, the times "
        "of the key interventions and the 30-day outcome.",
        columns=(
            C("process_id", required=True),
            C("incident_id", description="the trauma_incident, where known"),
            C("site_code", required=True, description="receiving hospital"),
            C("provider_code"),
            C("arrival_time", "TIMESTAMP", required=True),
            C("age", "INTEGER"),
            C("sex", check="sex"),
            C("iss", "INTEGER", description="Injury Severity Score (1-75)"),
            C("gcs", "INTEGER", description="Glasgow Coma Scale on arrival (3-15)"),
            C("trauma_team_consultant", "BOOLEAN", description="consultant-led team on arrival"),
            C("ct_minutes", "DOUBLE", description="arrival to CT, minutes; empty if no CT"),
            C("airway_needed", "BOOLEAN", description="needed a definitive airway"),
            C("airway_minutes", "DOUBLE", description="arrival to definitive airway, minutes"),
            C("txa_needed", "BOOLEAN", description="bleeding: tranexamic acid indicated"),
            C("txa_minutes", "DOUBLE", description="injury to tranexamic acid, minutes"),
            C("rehab_prescription", "BOOLEAN", description="rehabilitation prescription made"),
            C("transferred_to_mtc", "BOOLEAN", description="secondary transfer to an MTC"),
            C("transfer_minutes", "DOUBLE", description="arrival to departure for transfer"),
            C("died_30d", "BOOLEAN", description="died within 30 days of injury"),
        ),
    )
)

SITE_PROCESS_MONTH = register(
    TableSpec(
        name="site_process_month",
        key=("site_code", "month", "measure"),
        description="Site-level monthly process measures (numerator / denominator), e.g. "
        "theatre utilisation of a surgical hub or 6-week waits of a diagnostic centre.",
        columns=(
            C("site_code", required=True),
            C("month", "DATE", required=True, description="first day of the month"),
            C("measure", required=True),
            C("numerator", "DOUBLE", required=True),
            C("denominator", "DOUBLE"),
        ),
    )
)

DEROGATION = register(
    TableSpec(
        name="derogation",
        key=("derogation_id",),
        description="Time-limited permission for a site not to meet a criterion of a service "
        "specification.",
        columns=(
            C("derogation_id", required=True),
            C("site_code", required=True),
            C("service", required=True, description="specification service id, e.g. mtc"),
            C("criterion_id", required=True),
            C("granted_date", "DATE"),
            C("expiry_date", "DATE", required=True),
            C("reason"),
        ),
    )
)

GP_FEDERATION = register(
    TableSpec(
        name="gp_federation",
        key=("practice_code",),
        description="GP federations (primary care networks): each practice's federation and "
        "locality.",
        columns=(
            C("practice_code", required=True),
            C("federation_code", required=True),
            C("federation_name"),
            C("locality_code"),
        ),
    )
)

STANDARDS_FAILURE = register(
    TableSpec(
        name="standards_failure",
        key=("site_code", "service", "criterion_id"),
        description="Deliberate failures planted by the synthetic economy.",
        columns=(
            C("site_code", required=True),
            C("service", required=True),
            C("criterion_id", required=True),
            C("description"),
        ),
        schema="truth",
    )
)
