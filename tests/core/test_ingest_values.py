"""Ingest loads only values that are whole, finite and plausible; the rest go to quarantine."""

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from caremap.core import schema
from caremap.core.config import load_config
from caremap.core.errors import ConfigError
from caremap.core.ingest import ingest_path
from caremap.core.plausibility import DEFAULT_RULES, PlausibilityConfig, Rule

pytestmark = pytest.mark.integration

ACT = "activity_id,source_system,record_id,setting,start_date,end_date,cost"
REC = "source_system,record_id,date_of_birth,date_of_death"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def quarantine(ws) -> dict[int, tuple[str, str]]:
    q = ws.df("SELECT row_number, field, reason FROM quarantine ORDER BY row_number")
    return {int(r.row_number): (r.field, r.reason) for r in q.itertuples()}


def reconciled(ws) -> bool:
    log = ws.df("SELECT rows_read, rows_loaded, rows_quarantined FROM load_log")
    return bool((log.rows_read == log.rows_loaded + log.rows_quarantined).all())


@pytest.mark.parametrize(
    "cost,ok",
    [
        ("120.5", True),
        ("-3", True),
        ("1.2e3", True),
        (".5", True),
        ("inf", False),
        ("-inf", False),
        ("Infinity", False),
        ("NaN", False),
        ("nan", False),
        ("1e400", False),
        ("-1e400", False),
        ("0x10", False),
        ("1_000", False),
        ("12abc", False),
    ],
)
def test_costs_must_be_finite_numbers(ws, tmp_path, cost, ok):
    f = write(tmp_path / "activity.csv", f"{ACT}\na1,ae,1,ae,2023-01-01,,{cost}\n")
    (r,) = ingest_path(ws, f)
    assert (r.loaded, r.quarantined) == ((1, 0) if ok else (0, 1))
    if ok:
        assert ws.scalar("SELECT cost FROM activity") == float(cost)
    else:
        assert quarantine(ws)[2] == (
            "cost",
            "is not a finite number (e.g. 12.5 or 1.2e3; not inf or NaN)",
        )
    assert reconciled(ws)


def test_parquet_infinities_and_nans_are_quarantined(ws, tmp_path):
    t = pa.table(
        {
            "activity_id": ["a1", "a2", "a3", "a4"],
            "source_system": ["ae"] * 4,
            "record_id": ["1"] * 4,
            "setting": ["ae"] * 4,
            "start_date": pa.array([dt.date(2023, 1, 1)] * 4),
            "cost": pa.array([1.5, float("inf"), float("nan"), float("-inf")]),
        }
    )
    pq.write_table(t, tmp_path / "activity.parquet")
    (r,) = ingest_path(ws, tmp_path / "activity.parquet")
    assert (r.loaded, r.quarantined) == (1, 3)
    assert set(quarantine(ws)) == {2, 3, 4}
    assert ws.scalar("SELECT sum(cost) FROM activity") == 1.5  # not NaN


@pytest.mark.parametrize(
    "value,expect",
    [
        ("2020-01-01", dt.date(2020, 1, 1)),
        ("01/02/2020", dt.date(2020, 2, 1)),
        ("2020-01-01 00:00:00", dt.date(2020, 1, 1)),  # a date-time in a date column
        ("2020-01-01T10:30", dt.date(2020, 1, 1)),
        ("2020-01-01garbage", None),
        ("2020-01-01 garbage", None),
        ("2020-01-0100", None),
        ("01/02/2020x", None),
        ("2020-02-30", None),
        ("1/2/2020", None),
    ],
)
def test_dates_are_anchored(ws, tmp_path, value, expect):
    f = write(tmp_path / "activity.csv", f"{ACT}\na1,ae,1,ae,{value},,\n")
    (r,) = ingest_path(ws, f)
    if expect is None:
        assert r.quarantined == 1
        assert quarantine(ws)[2] == ("start_date", "is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    else:
        assert ws.scalar("SELECT start_date FROM activity") == expect


@pytest.mark.parametrize(
    "value,ok",
    [
        ("2020-01-01 10:00:00", True),
        ("2020-01-01T10:00", True),
        ("2020-01-01", True),
        ("2020-01-01 10:00:00junk", False),
        ("2020-01-01 10:00:00+01", False),  # an offset would be silently dropped
        ("2020-01-01 25:00", False),
    ],
)
def test_timestamps_are_anchored(ws, tmp_path, value, ok):
    f = write(
        tmp_path / "trauma_incident.csv", f"incident_id,incident_time,area_code\ni1,{value},A\n"
    )
    (r,) = ingest_path(ws, f)
    assert r.loaded == (1 if ok else 0)


@pytest.mark.parametrize(
    "value,ok", [("42", True), ("42.0", True), ("42.5", False), ("4e1", False), ("x", False)]
)
def test_integers_are_whole_numbers(ws, tmp_path, value, ok):
    f = write(
        tmp_path / "trauma_incident.csv",
        f"incident_id,incident_time,area_code,age\ni1,2020-01-01,A,{value}\n",
    )
    (r,) = ingest_path(ws, f)
    assert r.loaded == (1 if ok else 0)
    if ok:
        assert ws.scalar("SELECT age FROM trauma_incident") == 42


def test_implausible_people_are_quarantined_with_reasons(ws, tmp_path):
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    f = write(
        tmp_path / "source_record.csv",
        f"{REC}\n"
        "gp,1,1950-01-02,\n"  # 2 fine
        "gp,2,2090-05-01,\n"  # 3 born in the future
        "gp,3,1800-01-01,\n"  # 4 born before 1880
        "gp,4,1950-01-02,1949-12-31\n"  # 5 died before born
        f"gp,5,1950-01-02,{future}\n"  # 6 died in the future
        "gp,6,1880-01-01,1950-01-02\n"  # 7 fine (on the bound)
        "gp,7,,1950-01-02\n"  # 8 fine (no date of birth to compare)
        "gp,8,bad,1950-01-02\n",  # 9 unreadable birth date: its own reason, no death check
    )
    (r,) = ingest_path(ws, f)
    assert (r.read, r.loaded, r.quarantined) == (8, 3, 5)
    assert quarantine(ws) == {
        3: ("date_of_birth", "is in the future (implausible)"),
        4: ("date_of_birth", "is before 1880-01-01 (implausible)"),
        5: ("date_of_death", "is before date_of_birth (implausible)"),
        6: ("date_of_death", "is in the future (implausible)"),
        9: ("date_of_birth", "is not a date (YYYY-MM-DD or DD/MM/YYYY)"),
    }
    assert r.reasons["date_of_birth: is before 1880-01-01 (implausible)"] == 1
    assert reconciled(ws)


def test_activity_that_ends_before_it_starts_is_quarantined(ws, tmp_path):
    f = write(
        tmp_path / "activity.csv",
        f"{ACT}\na1,ae,1,ae,2023-01-05,2023-01-05,\na2,ae,1,ae,2023-01-05,2023-01-04,\n"
        "a3,ae,1,ae,2023-01-05,,\n",
    )
    (r,) = ingest_path(ws, f)
    assert (r.loaded, r.quarantined) == (2, 1)
    assert quarantine(ws) == {3: ("end_date", "is before start_date (implausible)")}


def test_rules_apply_to_typed_parquet_columns(ws, tmp_path):
    t = pa.table(
        {
            "source_system": ["gp", "gp"],
            "record_id": ["1", "2"],
            "date_of_birth": pa.array([dt.date(1950, 1, 1), dt.date(2090, 1, 1)]),
        }
    )
    pq.write_table(t, tmp_path / "source_record.parquet")
    (r,) = ingest_path(ws, tmp_path / "source_record.parquet")
    assert (r.loaded, r.quarantined) == (1, 1)
    assert quarantine(ws)[2][0] == "date_of_birth"


def test_a_config_replaces_one_tables_rules_and_keeps_the_others(ws, tmp_path):
    cfg_file = tmp_path / "ingest.yaml"
    cfg_file.write_text(
        "tables:\n"
        "  source_record:\n"
        "    - {column: date_of_birth, min: 1900-01-01}\n"
        "  activity: []\n"
    )
    cfg = load_config(PlausibilityConfig, cfg_file)
    assert cfg.rules_for("source_record") == [Rule(column="date_of_birth", min="1900-01-01")]
    assert cfg.rules_for("waiting_pathway") == DEFAULT_RULES["waiting_pathway"]
    write(tmp_path / "in" / "source_record.csv", f"{REC}\ngp,1,1890-01-01,\ngp,2,2090-01-01,\n")
    write(tmp_path / "in" / "activity.csv", f"{ACT}\na2,ae,1,ae,2023-01-05,2023-01-04,\n")
    reports = {r.table: r for r in ingest_path(ws, tmp_path / "in", plausibility=cfg)}
    assert reports["source_record"].quarantined == 1  # 1890 now too early; 2090 allowed
    assert ws.scalar("SELECT record_id FROM source_record") == "2"
    assert reports["activity"].quarantined == 0  # activity's rules turned off


def test_numeric_bounds(ws, tmp_path):
    f = write(
        tmp_path / "trauma_incident.csv",
        "incident_id,incident_time,area_code,iss\ni1,2020-01-01,A,9\ni2,2020-01-01,A,0\n"
        "i3,2020-01-01,A,76\n",
    )
    ingest_path(ws, f)
    assert quarantine(ws) == {
        3: ("iss", "is below 1 (implausible)"),
        4: ("iss", "is above 75 (implausible)"),
    }


def test_a_bad_config_lists_every_problem_before_anything_is_read(ws, tmp_path):
    cfg = PlausibilityConfig(
        tables={
            "patients": [Rule(column="x", min=1)],
            "source_record": [
                Rule(column="shoe_size", min=1),
                Rule(column="date_of_birth", min=5),
                Rule(column="date_of_death", min="date_of_bith"),
                Rule(column="given_name", max="today"),
                Rule(column="date_of_birth", min="2020-02-30"),
            ],
        }
    )
    with pytest.raises(ConfigError) as err:
        ingest_path(ws, tmp_path / "does-not-exist", plausibility=cfg)
    msg = str(err.value)
    assert "6 problem(s)" in msg
    for needle in ("patients", "shoe_size", "is a number", "date_of_bith", "VARCHAR", "2020-02-30"):
        assert needle in msg
    with pytest.raises(ConfigError, match="give min, max or both"):
        load_config(PlausibilityConfig, None, tables={"activity": [{"column": "end_date"}]})


def test_the_default_rules_are_valid():
    PlausibilityConfig().check()
    for table, rules in DEFAULT_RULES.items():
        spec = schema.get(table)
        assert all(r.column in spec.column_names for r in rules)


def test_today_bounds_a_date_time_by_the_whole_day(ws, tmp_path):
    now = dt.datetime.now().replace(microsecond=0)
    later = now + dt.timedelta(days=1, hours=1)
    f = write(
        tmp_path / "trauma_incident.csv",
        f"incident_id,incident_time,area_code\ni1,{now.isoformat(' ')},A\ni2,{later.isoformat(' ')},A\n",
    )
    cfg = PlausibilityConfig(
        tables={"trauma_incident": [Rule(column="incident_time", max="today")]}
    )
    (r,) = ingest_path(ws, f, plausibility=cfg)
    assert (r.loaded, r.quarantined) == (1, 1)
    assert quarantine(ws) == {3: ("incident_time", "is in the future (implausible)")}
