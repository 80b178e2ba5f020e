"""The metrics a specification criterion may name, each computed in SQL from the workspace.

A metric turns an input table and an evidence period into one row per site with
``numerator``, ``denominator`` and ``value``. Its parameters (the 60 in "CT within 60 minutes",
the ISS cut-off of the cohort) have defaults here and may be set per criterion, so every
threshold stays a parameter of the specification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from caremap.core.sql import quote_str

Params = dict[str, float | str]


@dataclass(frozen=True)
class Period:
    """An evidence period: ``start`` inclusive, ``end`` exclusive."""

    start: date
    end: date

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    table: str
    unit: str  # proportion, per_year, per_week
    defaults: Params = field(default_factory=dict)
    build: Callable[[Params, Period], str] = lambda p, q: ""

    def sql(self, params: Params, period: Period) -> str:
        """SELECT site_code, numerator, denominator, value for the period."""
        merged = {**self.defaults, **params}
        return self.build(merged, period)


def _in_period(col: str, period: Period) -> str:
    return (
        f"{col} >= DATE {quote_str(period.start.isoformat())} "
        f"AND {col} < DATE {quote_str(period.end.isoformat())}"
    )


def _trauma_share(cohort: str, success: str) -> Callable[[Params, Period], str]:
    """Share of a trauma cohort (SQL condition) with a successful process (SQL condition)."""

    def build(p: Params, period: Period) -> str:
        c = cohort.format(**p)
        s = success.format(**p)
        return (
            "SELECT site_code, CAST(sum(CASE WHEN "
            f"{s} THEN 1 ELSE 0 END) AS DOUBLE) AS numerator, "
            "CAST(count(*) AS DOUBLE) AS denominator, "
            f"sum(CASE WHEN {s} THEN 1 ELSE 0 END) / CAST(count(*) AS DOUBLE) AS value "
            f"FROM trauma_process WHERE {_in_period('arrival_time', period)} AND ({c}) "
            "GROUP BY site_code"
        )

    return build


def _trauma_volume(p: Params, period: Period) -> str:
    years = period.months / 12.0
    return (
        "SELECT site_code, CAST(count(*) AS DOUBLE) AS numerator, "
        f"CAST({years} AS DOUBLE) AS denominator, count(*) / {years} AS value "
        f"FROM trauma_process WHERE {_in_period('arrival_time', period)} "
        f"AND iss > {float(p['iss_above'])} GROUP BY site_code"
    )


def _site_ratio(measure: str, scale: float = 1.0) -> Callable[[Params, Period], str]:
    """sum(numerator) / sum(denominator) of one ``site_process_month`` measure."""

    def build(p: Params, period: Period) -> str:
        return (
            "SELECT site_code, sum(numerator) AS numerator, sum(denominator) AS denominator, "
            f"CASE WHEN sum(denominator) > 0 THEN {scale} * sum(numerator) / sum(denominator) "
            "END AS value "
            f"FROM site_process_month WHERE measure = {quote_str(measure)} "
            f"AND {_in_period('month', period)} GROUP BY site_code"
        )

    return build


def _site_volume(measure: str) -> Callable[[Params, Period], str]:
    def build(p: Params, period: Period) -> str:
        years = period.months / 12.0
        return (
            "SELECT site_code, sum(numerator) AS numerator, "
            f"CAST({years} AS DOUBLE) AS denominator, sum(numerator) / {years} AS value "
            f"FROM site_process_month WHERE measure = {quote_str(measure)} "
            f"AND {_in_period('month', period)} GROUP BY site_code"
        )

    return build


_M = [
    Metric(
        "trauma_consultant_on_arrival",
        "Share of the most severely injured (ISS above iss_above) met by a consultant-led "
        "trauma team on arrival.",
        "trauma_process",
        "proportion",
        {"iss_above": 15},
        _trauma_share("iss > {iss_above}", "coalesce(trauma_team_consultant, false)"),
    ),
    Metric(
        "trauma_ct_within",
        "Share of patients with reduced consciousness (GCS below gcs_below) who had CT "
        "within `minutes` of arrival (no CT counts as not within).",
        "trauma_process",
        "proportion",
        {"gcs_below": 13, "minutes": 60},
        _trauma_share("gcs < {gcs_below}", "ct_minutes IS NOT NULL AND ct_minutes <= {minutes}"),
    ),
    Metric(
        "trauma_airway_within",
        "Share of patients needing a definitive airway who had it within `minutes` of arrival.",
        "trauma_process",
        "proportion",
        {"minutes": 30},
        _trauma_share(
            "coalesce(airway_needed, false)",
            "airway_minutes IS NOT NULL AND airway_minutes <= {minutes}",
        ),
    ),
    Metric(
        "trauma_txa_within",
        "Share of bleeding patients given tranexamic acid within `minutes` of injury.",
        "trauma_process",
        "proportion",
        {"minutes": 180},
        _trauma_share(
            "coalesce(txa_needed, false)", "txa_minutes IS NOT NULL AND txa_minutes <= {minutes}"
        ),
    ),
    Metric(
        "trauma_rehab_prescription",
        "Share of patients with ISS above iss_above discharged with a rehabilitation prescription.",
        "trauma_process",
        "proportion",
        {"iss_above": 8},
        _trauma_share("iss > {iss_above}", "coalesce(rehab_prescription, false)"),
    ),
    Metric(
        "trauma_transfer_within",
        "Share of secondary transfers to a major trauma centre leaving within `minutes`.",
        "trauma_process",
        "proportion",
        {"minutes": 120},
        _trauma_share(
            "coalesce(transferred_to_mtc, false)",
            "transfer_minutes IS NOT NULL AND transfer_minutes <= {minutes}",
        ),
    ),
    Metric(
        "trauma_annual_volume",
        "Patients with ISS above iss_above received per year.",
        "trauma_process",
        "per_year",
        {"iss_above": 15},
        _trauma_volume,
    ),
    Metric(
        "hub_theatre_utilisation",
        "Theatre minutes used over minutes planned (touch time).",
        "site_process_month",
        "proportion",
        {},
        _site_ratio("theatre_utilisation"),
    ),
    Metric(
        "hub_day_case_rate",
        "Day cases over procedures eligible for day surgery (BADS directory).",
        "site_process_month",
        "proportion",
        {},
        _site_ratio("day_case_rate"),
    ),
    Metric(
        "hub_cancellation_rate",
        "Operations cancelled on the day for non-clinical reasons over operations scheduled.",
        "site_process_month",
        "proportion",
        {},
        _site_ratio("on_the_day_cancellation"),
    ),
    Metric(
        "hub_ringfenced_beds",
        "Elective bed-days in ring-fenced beds over all elective bed-days.",
        "site_process_month",
        "proportion",
        {},
        _site_ratio("ringfenced_bed_days"),
    ),
    Metric(
        "cdc_six_week_breach",
        "Share of the diagnostic waiting list waiting 6 weeks or more (DM01).",
        "site_process_month",
        "proportion",
        {},
        _site_ratio("six_week_breach"),
    ),
    Metric(
        "cdc_opening_hours",
        "Hours open per week (numerator hours, denominator weeks).",
        "site_process_month",
        "per_week",
        {},
        _site_ratio("opening_hours"),
    ),
    Metric(
        "cdc_tests_per_year",
        "Diagnostic tests performed per year.",
        "site_process_month",
        "per_year",
        {},
        _site_volume("tests_performed"),
    ),
]

METRICS: dict[str, Metric] = {m.name: m for m in _M}
