import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caremap.core import codes
from caremap.core.errors import InputError
from caremap.core.ingest import ingest_path, table_for_file

pytestmark = pytest.mark.integration

HEADER = "source_system,record_id,nhs_number,given_name,family_name,date_of_birth,sex,postcode"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    return path


def test_bad_rows_are_quarantined_with_row_field_and_reason(ws, tmp_path):
    f = write(
        tmp_path / "source_record.csv",
        HEADER + "\n"
        "gp,1,9434765919,Ann,Smith,1950-01-02,F,LS1 4AP\n"  # row 2 fine
        "gp,2,9434765918,Bob,Jones,31/12/1960,1,LS14AP\n"  # row 3 fine (invalid NHS is evidence)
        "nowhere,3,,X,Y,1960-01-01,F,LS1 4AP\n"  # row 4 unknown source system
        "gp,4,,X,Y,1960-13-01,F,LS1 4AP\n"  # row 5 bad date
        "gp,5,,X,Y,1960-01-01,Q,LS1 4AP\n"  # row 6 bad sex
        ",6,,X,Y,1960-01-01,F,LS1 4AP\n"  # row 7 missing required
        "gp,1,9434765919,Ann,Smith,1950-01-02,F,LS1 4AP\n",  # row 8 duplicate key
    )
    (r,) = ingest_path(ws, f)
    assert (r.read, r.loaded, r.quarantined) == (7, 2, 5)
    q = ws.df("SELECT row_number, field, reason FROM quarantine ORDER BY row_number")
    assert q.row_number.tolist() == [4, 5, 6, 7, 8]
    assert q.field.tolist() == [
        "source_system",
        "date_of_birth",
        "sex",
        "source_system",
        "source_system, record_id",
    ]
    assert "not one of" in q.reason[0] and "not a date" in q.reason[1]
    assert "duplicate key" in q.reason[4]
    log = ws.df("SELECT * FROM load_log")
    assert (log.rows_read == log.rows_loaded + log.rows_quarantined).all()
    rec = ws.df(
        "SELECT record_id, nhs_number, nhs_number_valid, date_of_birth, sex, postcode "
        "FROM source_record ORDER BY record_id"
    )
    assert rec.nhs_number_valid.tolist() == [True, False]
    assert rec.sex.tolist() == ["F", "M"]
    assert rec.postcode.tolist() == ["LS1 4AP", "LS1 4AP"]
    assert str(rec.date_of_birth[1]) == "1960-12-31"


def test_codes_checked_on_activity(ws, tmp_path):
    f = write(
        tmp_path / "activity__ae.csv",
        "activity_id,source_system,record_id,setting,start_date,primary_diagnosis,procedure_code,cost\n"
        "a1,ae,1,ae,2023-01-01,J44.1,W37.1,120.5\n"
        "a2,ae,1,ae,2023-01-01,XX,W37.1,1\n"
        "a3,ae,1,ae,2023-01-01,J441,I01,1\n"
        "a4,ae,1,ae,2023-01-01,J441,,abc\n",
    )
    (r,) = ingest_path(ws, f)
    assert (r.loaded, r.quarantined) == (1, 3)
    assert ws.df("SELECT field FROM quarantine ORDER BY row_number").field.tolist() == [
        "primary_diagnosis",
        "procedure_code",
        "cost",
    ]
    assert ws.scalar("SELECT primary_diagnosis FROM activity") == "J441"


def test_loading_twice_adds_nothing(ws, tmp_path):
    f = write(
        tmp_path / "source_record.csv",
        HEADER + "\ngp,1,9434765919,Ann,Smith,1950-01-02,F,LS1 4AP\n",
    )
    ingest_path(ws, f)
    (r,) = ingest_path(ws, f)
    assert r.replaced == 1
    assert ws.row_count("source_record") == 1
    assert ws.row_count("load_log") == 2


def test_a_bad_file_in_a_folder_leaves_the_workspace_unchanged(ws, tmp_path):
    good = HEADER + "\ngp,1,9434765919,Ann,Smith,1950-01-02,F,LS1 4AP\n"
    ingest_path(ws, write(tmp_path / "first" / "source_record.csv", good))
    before = ws.df("SELECT * FROM source_record")
    folder = tmp_path / "second"
    write(folder / "a_source_record.csv", good.replace("gp,1", "gp,2"))
    write(folder / "source_record__b.csv", HEADER + "\ngp,3,1,2,3,4\n")  # ragged
    with pytest.raises(InputError):
        ingest_path(ws, folder, table="source_record")
    assert ws.df("SELECT * FROM source_record").equals(before)
    assert ws.row_count("load_log") == 1


def test_a_kill_part_way_leaves_the_workspace_unchanged(tmp_path):
    from caremap.core.workspace import open_workspace

    path = tmp_path / "ws.duckdb"
    folder = tmp_path / "x"
    write(
        folder / "source_record.csv", HEADER + "\ngp,1,9434765919,Ann,Smith,1950-01-02,F,LS1 4AP\n"
    )
    write(
        folder / "source_record__2.csv",
        HEADER + "\ngp,2,9434765919,Ann,Smith,1950-01-02,F,LS1 4AP\n",
    )
    code = (
        "import os, sys; os.environ['CAREMAP_FAULT_INJECT'] = 'after_first_file';"
        "from caremap.core.workspace import open_workspace;"
        "from caremap.core.ingest import ingest_path;"
        f"ws = open_workspace({str(path)!r}); ingest_path(ws, {str(folder)!r})"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == 99  # killed after the first file was written, before commit
    with open_workspace(path) as ws:
        assert not ws.has_table("source_record") or ws.row_count("source_record") == 0
        assert not ws.has_table("load_log") or ws.row_count("load_log") == 0


@pytest.mark.parametrize(
    "content,needle",
    [
        (b"", "empty"),
        (
            (HEADER + "\ngp,1,9434765919,Ann,Sm\xe9th,1950-01-02,F,LS1 4AP\n").encode("latin-1"),
            "not valid utf-8",
        ),
        ((HEADER + "\ngp,1,9434765919\n").encode(), "do not have the 8 fields"),
        (b"source_system,given_name\ngp,Ann\n", "missing required column(s): record_id"),
        ((HEADER + ",shoe_size\n").encode(), "unknown column(s): shoe_size"),
    ],
)
def test_malformed_files_get_clear_errors(ws, tmp_path, content, needle):
    f = write(tmp_path / "source_record.csv", content)
    with pytest.raises(InputError) as err:
        ingest_path(ws, f)
    assert needle in str(err.value)
    assert "source_record.csv" in str(err.value)
    assert "Sm" not in str(err.value)  # never echoes row contents


def test_latin1_loads_with_encoding_option(ws, tmp_path):
    f = write(
        tmp_path / "source_record.csv",
        (HEADER + "\ngp,1,9434765919,Ann,Sm\xe9th,1950-01-02,F,LS1 4AP\n").encode("latin-1"),
    )
    (r,) = ingest_path(ws, f, encoding="latin-1")
    assert r.loaded == 1
    assert ws.scalar("SELECT family_name FROM source_record") == "Sméth"


def test_parquet_and_truth_folder(ws, tmp_path):
    (tmp_path / "truth").mkdir()
    pq.write_table(
        pa.table(
            {
                "person_key": pa.array([1, 2], pa.int64()),
                "source_system": ["gp", "ae"],
                "record_id": ["1", "2"],
            }
        ),
        tmp_path / "truth" / "record_person.parquet",
    )
    assert table_for_file(tmp_path / "truth" / "record_person.parquet") == "truth.record_person"
    (r,) = ingest_path(ws, tmp_path)
    assert r.table == "truth.record_person" and r.loaded == 2
    assert ws.has_table("truth.record_person")


def test_unknown_file_name_is_explained(ws, tmp_path):
    with pytest.raises(InputError, match="Name the file after its table"):
        ingest_path(ws, write(tmp_path / "patients.csv", HEADER + "\n"))


nhs_like = st.text(alphabet="0123456789", min_size=10, max_size=10)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(nhs_like, min_size=1, max_size=30, unique=True))
def test_sql_nhs_check_agrees_with_python(ws, numbers):
    t = pa.table({"x": numbers})
    ws.register_temp("_nums", t)
    norm = codes.sql_nhs_normalised("x")
    got = ws.sql(f"SELECT x, {codes.sql_nhs_valid(norm)} AS ok FROM _nums").to_pydict()
    ws.unregister_temp("_nums")
    assert got["ok"] == [codes.is_valid_nhs_number(x) for x in got["x"]]
