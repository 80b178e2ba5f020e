"""What every figure on the dashboard means: a label, a unit and a definition per metric or
column, shown as column headings, on hover and on the help page (``/help``).

Units: ``fraction`` values are stored 0-1 and shown as percentages; ``percent`` values are
already percentages; ``pence`` are shown in pounds; ``per100k`` rates per 100,000 people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    label: str
    definition: str
    unit: str = ""  # fraction, percent, pence, per100k, weeks, minutes, count, ratio, ""


def _t(label: str, definition: str, unit: str = "") -> Term:
    return Term(label, definition, unit)


INDICATORS: dict[str, Term] = {
    "ae_attendances": _t("A&E attendances", "Attendances at emergency departments.", "per100k"),
    "emergency_admissions": _t(
        "Emergency admissions", "Unplanned admissions to hospital.", "per100k"
    ),
    "elective_demand": _t(
        "Planned care demand", "Elective admissions and outpatient referrals.", "per100k"
    ),
    "trauma_incidence": _t("Trauma incidents", "Injuries attended by ambulance.", "per100k"),
    **{
        f"prevalence_{k}": _t(
            f"{v} prevalence",
            f"Share of registered people with {v.lower()} recorded at the date shown "
            "(Wilson score interval).",
            "percent",
        )
        for k, v in {
            "asthma": "Asthma",
            "cancer": "Cancer",
            "chd": "Coronary heart disease",
            "ckd": "Chronic kidney disease",
            "copd": "COPD",
            "dementia": "Dementia",
            "depression": "Depression",
            "diabetes": "Diabetes",
            "frailty": "Frailty",
            "heart_failure": "Heart failure",
            "hypertension": "Hypertension",
        }.items()
    },
}

TERMS: dict[str, Term] = {
    # needs
    "value": _t("Value", "The indicator's value in the unit shown."),
    "lower": _t("95% lower", "Lower limit of the 95% confidence interval."),
    "upper": _t("95% upper", "Upper limit of the 95% confidence interval."),
    "lower998": _t("99.8% lower", "Lower limit of the 99.8% confidence interval."),
    "upper998": _t("99.8% upper", "Upper limit of the 99.8% confidence interval."),
    "numerator": _t("Events", "People or events counted (the numerator).", "count"),
    "denominator": _t("Population", "People in the denominator.", "count"),
    "vs_ics": _t(
        "Compared with the ICS",
        "Higher or lower when the area's 95% interval excludes the ICS value, else similar.",
    ),
    "vs_region": _t(
        "Compared with the region",
        "Higher or lower when the area's 95% interval excludes the region value, else similar.",
    ),
    "dsr": _t(
        "Directly standardised rate",
        "Events per 100,000 people if the area had the European Standard Population 2013's "
        "age structure; Dobson interval (PHE Technical Guide).",
        "per100k",
    ),
    "crude_rate": _t("Crude rate", "Events per 100,000 people, not age adjusted.", "per100k"),
    "isr": _t(
        "Indirectly standardised ratio",
        "Observed events as a percentage of those expected from the reference rates by age.",
    ),
    "population": _t("Population", "Registered or resident people.", "count"),
    # linkage
    "records": _t("Records", "Source records read.", "count"),
    "persons": _t("People", "People after linkage.", "count"),
    "share_linked_to_other_source": _t(
        "Linked to another source", "Records joined to a record from another system.", "fraction"
    ),
    "share_in_multi_record_person": _t(
        "In a multi-record person", "Records whose person has more than one record.", "fraction"
    ),
    "share_linked_deterministically": _t(
        "Linked on NHS number", "Records linked by an exact NHS number match.", "fraction"
    ),
    "share_unlinkable": _t("Unlinkable", "Records with too little identity to link.", "fraction"),
    "pairwise_precision": _t(
        "Pairwise precision", "Predicted matching pairs that are true pairs.", "fraction"
    ),
    "pairwise_recall": _t("Pairwise recall", "True pairs found by the linkage.", "fraction"),
    "pairwise_f1": _t("Pairwise F1", "Harmonic mean of pairwise precision and recall.", "fraction"),
    "cluster_precision": _t("Cluster precision", "Predicted people that are exact.", "fraction"),
    "cluster_recall": _t("Cluster recall", "True people recovered exactly.", "fraction"),
    "cluster_f1": _t("Cluster F1", "Harmonic mean of cluster precision and recall.", "fraction"),
    # risk
    "score": _t(
        "Risk", "Predicted probability of an emergency admission in 12 months.", "fraction"
    ),
    "tier": _t("Tier", "Risk tier: very high, high, moderate or low."),
    "people": _t("People", "People in the group.", "count"),
    "share": _t("Share", "Share of all people scored.", "fraction"),
    "mean_score": _t("Mean risk", "Average predicted risk in the tier.", "fraction"),
    "auroc": _t(
        "AUROC (c statistic)",
        "Chance the model ranks a person admitted above one not admitted; 0.5 is no better "
        "than chance, above 0.7 acceptable, above 0.8 good (Hosmer and Lemeshow).",
        "ratio",
    ),
    "top_factors": _t("Top reasons", "The features that raise this person's risk most."),
    # network
    "mean_minutes_population": _t(
        "Mean minutes", "Population-weighted mean travel time to the nearest centre.", "minutes"
    ),
    "population_within_30": _t("Within 30 min", "People within 30 minutes.", "fraction"),
    "population_within_45": _t("Within 45 min", "People within 45 minutes.", "fraction"),
    "population_within_60": _t("Within 60 min", "People within 60 minutes.", "fraction"),
    "expected_deaths_right_place": _t(
        "Expected deaths", "Expected trauma deaths a year under right-place triage."
    ),
    "arrivals": _t("Arrivals", "Patients arriving at the site in the period.", "count"),
    "minutes_to_centre": _t("Minutes", "Travel time to the nearest centre.", "minutes"),
    # waiting
    "queue_size": _t("Waiting", "Pathways waiting at the census date.", "count"),
    "demand": _t("Demand", "New referrals per week.", "count"),
    "capacity": _t("Capacity", "Pathways treated per week.", "count"),
    "mean_wait": _t("Mean wait", "Mean time waited so far.", "weeks"),
    "p92_wait": _t("92nd centile wait", "92% of pathways have waited less than this.", "weeks"),
    "share_over_target": _t(
        "Over 18 weeks", "Share of pathways waiting longer than the target.", "fraction"
    ),
    "target_queue_size": _t(
        "List that meets the target",
        "Largest list at which the mean wait meets the target (Little's law).",
        "count",
    ),
    "relief_capacity": _t(
        "Capacity needed", "Weekly capacity needed to reach the target list size.", "count"
    ),
    "list": _t("Waiting list", "Provider and specialty (NHS treatment function)."),
    "over_target": _t("Over 18 weeks", "Pathways waiting longer than the target.", "count"),
    "p_cleared": _t(
        "Chance of clearing", "Share of simulations in which the long waits clear.", "fraction"
    ),
    "week_median": _t("Median week", "Median week at which the long waits clear.", "count"),
    "week_p90": _t("90th centile week", "Week by which 90% of simulations clear.", "count"),
    "final_list_median": _t("List at the end", "Median list size at the horizon.", "count"),
    "final_breaches_median": _t(
        "Long waits at the end", "Median pathways over target at the horizon.", "count"
    ),
    "rows_read": _t("Rows read", "Rows in the source extract.", "count"),
    "rows_loaded": _t("Rows loaded", "Rows that passed validation.", "count"),
    "rows_quarantined": _t(
        "Rows quarantined", "Rows held back with a reason (see below).", "count"
    ),
    "group_type": _t("Group", "What the rows are grouped by."),
    "group_value": _t("Group value", "The area or decile."),
    "mean_minutes": _t("Mean minutes", "Mean travel time to the nearest centre.", "minutes"),
    "within_30": _t("Within 30 min", "People within 30 minutes.", "fraction"),
    "within_45": _t("Within 45 min", "People within 45 minutes.", "fraction"),
    "within_60": _t("Within 60 min", "People within 60 minutes.", "fraction"),
    "major_trauma_per_year": _t("Major trauma a year", "Major trauma patients a year."),
    "min_volume_major": _t("Minimum volume", "The specification's minimum a year."),
    "meets_minimum": _t("Meets minimum", "Whether the site sees the minimum volume."),
    "site_code": _t("Site", "The site (name shown; code on its own page)."),
    "area": _t("Area", "The area: region, ICS, locality or small area."),
    "indicator": _t("Indicator", "What is measured."),
    "period": _t("Period", "Financial year or date of the measure."),
    "critical_not_met": _t(
        "Critical not met", "Criteria marked critical that are not met.", "count"
    ),
    "criteria": _t("Criteria", "Criteria of the specification checked.", "count"),
    "met": _t("Met", "Criteria met.", "count"),
    "not_met": _t("Not met", "Criteria not met.", "count"),
    "no_evidence": _t("No evidence", "Criteria without the data to check them.", "count"),
    "derogated": _t("Derogated", "Criteria with an agreed derogation.", "count"),
    # performance
    "mean": _t("Mean", "Centre line of the SPC chart."),
    "upl": _t("Upper process limit", "Mean + 3 sigma from the moving range (XmR)."),
    "lpl": _t("Lower process limit", "Mean - 3 sigma from the moving range (XmR)."),
    "latest_value": _t("Latest", "Most recent point."),
    "target": _t("Target", "The target or standard."),
    "utilisation": _t("Utilisation", "Share of planned sessions used.", "percent"),
    "cancellation_rate": _t("Cancellations", "Share of bookings cancelled.", "percent"),
    "long_wait_share": _t("Long waits", "Share of patients waiting over 6 weeks.", "percent"),
    # budget
    "budget": _t("Budget", "Budget for the year.", "pence"),
    "actual_ytd": _t("Spent so far", "Actual spend to the latest month.", "pence"),
    "forecast_outturn": _t("Forecast outturn", "Expected spend by year end.", "pence"),
    "allocation": _t("Allocation", "Capitation-weighted allocation.", "pence"),
    "target_share": _t("Target share", "Share of the pot by weighted capitation.", "fraction"),
    "weighted_population": _t("Weighted population", "Registered people weighted by need."),
    "registered": _t("Registered", "People registered with the locality's practices.", "count"),
}


def term(name: str) -> Term | None:
    """The glossary entry of a column, metric or indicator (``*_pence`` as its pounds)."""
    if name in TERMS:
        return TERMS[name]
    if name in INDICATORS:
        return INDICATORS[name]
    if name.endswith("_pence") and name.removesuffix("_pence") in TERMS:
        return TERMS[name.removesuffix("_pence")]
    return None


def label(name: str) -> str:
    """A heading for a column: the glossary label with its unit, else the name in words."""
    t = term(str(name))
    if t is None:
        text = str(name).removesuffix("_pence").replace("_", " ")
        text = text[:1].upper() + text[1:]
        return text + (" (£)" if str(name).endswith("_pence") else "")
    suffix = {"fraction": " (%)", "percent": " (%)", "pence": " (£)", "per100k": " per 100,000"}
    return t.label + suffix.get(t.unit, {"weeks": " (weeks)", "minutes": " (min)"}.get(t.unit, ""))


def helptext(name: str) -> str:
    t = term(str(name))
    return t.definition if t else ""


def lower_first(text: str) -> str:
    """``Diabetes prevalence`` -> ``diabetes prevalence``; ``A&E`` and ``COPD`` kept."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def indicator_label(code: str) -> str:
    t = INDICATORS.get(str(code))
    return t.label if t else str(code).replace("_", " ").capitalize()


def number(v, digits: int = 1) -> str:
    """A number for people: thousands separated, no exponent, ``digits`` decimals at most
    (more for small values so that 0.00064 keeps two significant figures)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    x = float(v)
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    d = digits
    while d < 6 and abs(x) < 10 ** (1 - d):
        d += 1
    return f"{x:,.{d}f}"


def fmt(name: str, v) -> str:
    """A value formatted by its column's unit (fractions as %, pence as £)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if not isinstance(v, int | float):
        return str(v)
    t = term(str(name))
    unit = t.unit if t else ("pence" if str(name).endswith("_pence") else "")
    if str(name).endswith("_pence"):
        unit = "pence"
    if unit == "fraction":
        return number(100 * v) + "%"
    if unit == "percent":
        return number(v) + "%"
    if unit == "pence":
        return pounds(v)
    if unit == "count" and float(v).is_integer():
        return f"{int(v):,}"
    return number(v)


def pounds(pence) -> str:
    """Pence as pounds: £1.2m, £35,400, £12.50."""
    if pence is None or (isinstance(pence, float) and not math.isfinite(pence)):
        return "–"
    p = float(pence) / 100
    if abs(p) >= 10_000_000:
        return f"£{p / 1e6:,.1f}m"
    if abs(p) >= 1000:
        return f"£{p:,.0f}"
    return f"£{p:,.2f}"
