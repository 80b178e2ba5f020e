"""Realism: the economy against the published figures it is calibrated to.

Figures and tolerances (20,000 people, three years):
* age-sex structure vs ONS mid-2023 England (20 ESP bands x 2 sexes): total variation
  distance under 0.04, and the 0-15 and 65+ shares within 1.5 percentage points;
* recorded prevalence on the start date vs QOF 2022-23 England: within 15% (relative) or 4
  standard errors;
* emergency admissions ~110 and A&E attendances ~400 per 1,000 people a year: within 10%;
* crude death rate ~9.5 per 1,000 a year: within 30%.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from caremap.synth.reference import AGE_FROM, QOF_PREVALENCE

pytestmark = pytest.mark.spec


def _ons_england(shared_data) -> np.ndarray:
    counts = np.zeros((2, len(AGE_FROM)))
    with open(shared_data / "nhs-open" / "ons_uk_population_2023.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] != "ENGLAND":
                continue
            age = 90 if row["age"] == "90+" else int(row["age"])
            band = np.searchsorted(AGE_FROM, age, side="right") - 1
            counts[0 if row["sex"] == "males" else 1, band] += float(row["count"])
    return counts / counts.sum()


def test_age_sex_structure_matches_ons_england(db20k, shared_data):
    ons = _ons_england(shared_data)
    rows = db20k.execute(
        "SELECT sex, age_from, sum(population) FROM population WHERE year = 2022 GROUP BY ALL"
    ).fetchall()
    ours = np.zeros_like(ons)
    for sex, age_from, n in rows:
        ours[0 if sex == "M" else 1, list(AGE_FROM).index(age_from)] += n
    ours /= ours.sum()
    tvd = 0.5 * np.abs(ours - ons).sum()
    assert tvd < 0.04, tvd
    assert abs(ours[:, :4].sum() - ons[:, :4].sum()) < 0.015  # 0-14
    assert abs(ours[:, 14:].sum() - ons[:, 14:].sum()) < 0.015  # 65+


def test_age_structure_varies_by_place(db20k):
    mean_age = dict(db20k.execute(
        "SELECT rural_urban, sum((age_from + 2) * population) / sum(population) FROM population "
        "JOIN small_area USING (area_code) WHERE year = 2022 GROUP BY ALL").fetchall())  # fmt: skip
    assert mean_age["rural"] > mean_age["city"] + 3
    if "coastal" in mean_age:
        assert mean_age["coastal"] > mean_age["city"] + 3


def test_deprivation_is_correlated_with_place(db20k):
    imd = dict(db20k.execute(
        "SELECT rural_urban, avg(imd_score) FROM small_area GROUP BY ALL").fetchall())  # fmt: skip
    assert imd["city"] > imd["rural"] * 1.5


@pytest.mark.parametrize("condition", sorted(QOF_PREVALENCE))
def test_recorded_prevalence_matches_qof(db20k, condition):
    pct, from_age = QOF_PREVALENCE[condition]
    n, cases = db20k.execute(
        f"""
        WITH alive AS (
          SELECT person_key, date_diff('year', date_of_birth, DATE '2022-04-01') AS age
          FROM truth_person),
        gp AS (SELECT DISTINCT t.person_key FROM condition c JOIN truth_record_person t
               USING (source_system, record_id)
               WHERE c.condition = '{condition}' AND c.diagnosed_date <= DATE '2022-04-01')
        SELECT count(*), count(gp.person_key) FROM alive LEFT JOIN gp USING (person_key)
        WHERE age >= {from_age}
        """
    ).fetchone()
    p = pct / 100
    observed = cases / n
    se = np.sqrt(p * (1 - p) / n)
    assert abs(observed - p) <= max(0.15 * p, 4 * se), (condition, observed, p)


def _yearly(db, where: str) -> np.ndarray:
    rows = db.execute(
        f"SELECT year(start_date - INTERVAL 3 MONTH) AS fy, count(*) FROM activity "
        f"WHERE {where} GROUP BY ALL ORDER BY 1"
    ).fetchall()
    pop = dict(db.execute("SELECT year, sum(population) FROM population GROUP BY ALL").fetchall())
    return np.array([n / pop[fy] * 1000 for fy, n in rows])


def test_emergency_admission_rate(db20k):
    rates = _yearly(db20k, "admission_method = 'emergency'")
    assert len(rates) == 3
    assert np.all(np.abs(rates - 110) <= 11), rates


def test_ae_attendance_rate(db20k):
    rates = _yearly(db20k, "setting = 'ae'")
    assert np.all(np.abs(rates - 400) <= 40), rates


def test_crude_death_rate(db20k):
    deaths = db20k.execute(
        "SELECT count(*) FROM truth_person WHERE date_of_death IS NOT NULL"
    ).fetchone()[0]
    rate = deaths / 20_000 / 3 * 1000
    assert 9.5 * 0.7 <= rate <= 9.5 * 1.3, rate


def test_truth_risk_matches_activity_and_has_gradients(db20k):
    per_year = db20k.execute(
        "SELECT r.year, sum(r.emergency_admissions), avg(r.p_emergency) FROM truth_risk r "
        "GROUP BY ALL ORDER BY 1"
    ).fetchall()
    observed = _yearly(db20k, "admission_method = 'emergency'")
    pop = dict(
        db20k.execute("SELECT year, sum(population) FROM population GROUP BY ALL").fetchall()
    )
    assert [y for y, _, _ in per_year] == [2022, 2023, 2024]
    for (year, n, _), rate in zip(per_year, observed, strict=True):
        assert abs(n / pop[year] * 1000 - rate) < 1e-9
    by_group = dict(db20k.execute(
        """SELECT CASE WHEN s.imd_decile <= 2 THEN 'deprived' WHEN s.imd_decile >= 9
                  THEN 'affluent' END AS g, avg(r.p_emergency)
           FROM truth_risk r JOIN truth_person p USING (person_key)
           JOIN small_area s USING (area_code) GROUP BY ALL""").fetchall())  # fmt: skip
    assert by_group["deprived"] > by_group["affluent"]
    old_young = db20k.execute(
        "SELECT avg(p_emergency) FILTER (WHERE year - year(date_of_birth) >= 80), "
        "avg(p_emergency) FILTER (WHERE year - year(date_of_birth) BETWEEN 20 AND 40) "
        "FROM truth_risk JOIN truth_person USING (person_key)"
    ).fetchone()
    assert old_young[0] > 3 * old_young[1]
    # prior use predicts: people admitted in 2022 are likelier to be admitted in 2023
    prior = db20k.execute(
        "SELECT avg(b.p_emergency) FILTER (WHERE a.emergency_admissions > 0) / "
        "avg(b.p_emergency) FILTER (WHERE a.emergency_admissions = 0) FROM truth_risk a "
        "JOIN truth_risk b ON a.person_key = b.person_key AND b.year = a.year + 1"
    ).fetchone()[0]
    assert prior > 2


def test_some_people_have_no_activity(db20k):
    idle = db20k.execute(
        "SELECT count(*) FROM truth_person p WHERE NOT EXISTS (SELECT 1 FROM activity a "
        "JOIN truth_record_person t USING (source_system, record_id) "
        "WHERE t.person_key = p.person_key)"
    ).fetchone()[0]
    assert idle > 0


def test_travel_times_to_hospital_are_plausible(economy20k):
    import pyarrow.parquet as pq
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    links = pq.read_table(economy20k / "road_link.parquet").to_pydict()
    areas = pq.read_table(economy20k / "small_area.parquet").to_pydict()
    sites = pq.read_table(economy20k / "site.parquet").to_pydict()
    n = max(max(links["from_node"]), max(links["to_node"])) + 1
    minutes = np.array(links["length_km"]) / np.array(links["speed_kph"]) * 60
    a, b = np.array(links["from_node"]), np.array(links["to_node"])
    graph = coo_matrix((np.r_[minutes, minutes], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    acute = [nd for nd, t in zip(sites["road_node"], sites["site_type"], strict=True)
             if t == "acute_hospital"]  # fmt: skip
    t = dijkstra(graph.tocsr(), indices=acute)[:, areas["road_node"]].min(axis=0)
    assert np.isfinite(t).all()  # every area reaches a hospital
    assert 3 < np.median(t) < 30 and t.max() < 120
    kind = np.array(areas["rural_urban"])
    assert np.median(t[kind == "rural"]) > np.median(t[kind == "city"])


def test_calendar_winter_pressure_and_weekday_services(db20k):
    winter, summer = db20k.execute(
        "SELECT count(*) FILTER (WHERE month(start_date) IN (12, 1, 2)), "
        "count(*) FILTER (WHERE month(start_date) IN (6, 7, 8)) FROM activity "
        "WHERE admission_method = 'emergency'"
    ).fetchone()
    assert winter > 1.1 * summer
    weekend = db20k.execute(
        "SELECT setting, avg((dayofweek(start_date) IN (0, 6))::INT) FROM activity "
        "WHERE setting IN ('gp', 'outpatient', 'ae') GROUP BY ALL"
    ).fetchall()
    share = dict(weekend)
    assert share["gp"] < 0.02 and share["outpatient"] < 0.02
    assert 0.2 < share["ae"] < 0.35  # A&E is open every day (2/7 = 0.29)
