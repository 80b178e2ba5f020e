"""`caremap ingest` on the files users send: one-line errors, rules from a file."""

import gzip

import pytest

from caremap.cli.main import main
from caremap.core.workspace import open_workspace

pytestmark = pytest.mark.acceptance

HEADER = "source_system,record_id,given_name,family_name,date_of_birth"


@pytest.fixture(autouse=True)
def _no_progress(monkeypatch):
    monkeypatch.setenv("CAREMAP_NO_PROGRESS", "1")


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("source_record.csv", f"{HEADER}\rgp,1\r".encode(), "row 2"),
        ("source_record.csv", f"{HEADER}\ngp,1,Ann,O\x92Brien,\n".encode("latin-1"), "cp1252"),
        ("source_record.csv.gz", gzip.compress(f"{HEADER}\n".encode())[:-9], "damaged"),
    ],
)
def test_bad_files_get_one_line_errors(tmp_path, capsys, name, content, needle):
    (tmp_path / name).write_bytes(content)
    ws = tmp_path / "w.duckdb"
    assert main(["ingest", str(tmp_path / name), "-w", str(ws)]) != 0
    err = capsys.readouterr().err.replace("\n", "")  # the console wraps long lines
    assert needle in err and name in err and "Traceback" not in err
    assert "Brien" not in err  # row contents (person-identifiable) are never echoed


def test_rules_file_replaces_a_tables_rules(tmp_path, capsys):
    f = tmp_path / "source_record.csv"
    f.write_text(f"{HEADER}\ngp,1,Ann,Smith,1890-05-01\ngp,2,Bob,Jones,1950-05-01\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text("tables:\n  source_record:\n    - {column: date_of_birth, min: 1900-01-01}\n")
    ws = tmp_path / "w.duckdb"
    assert main(["ingest", str(f), "-w", str(ws), "--rules", str(rules)]) == 0
    assert "is before 1900-01-01" in capsys.readouterr().out
    with open_workspace(ws, read_only=True) as w:
        assert w.scalar("SELECT count(*) FROM quarantine") == 1
    rules.write_text("tables:\n  source_record:\n    - {column: shoe_size, min: 1}\n")
    assert main(["ingest", str(f), "-w", str(ws), "--rules", str(rules)]) != 0
    assert "shoe_size" in capsys.readouterr().err
