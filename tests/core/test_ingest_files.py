"""Ingest reads every real file: encodings, compression, line endings, row numbers, paths."""

import codecs
import gzip
import io
import os
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from caremap.core.errors import InputError
from caremap.core.ingest import discover, ingest_path, table_for_file

pytestmark = pytest.mark.integration

HEADER = "source_system,record_id,nhs_number,given_name,family_name,date_of_birth,sex,postcode"
ROWS = [
    "gp,1,9434765919,Siân,O’Brien,1950-01-02,F,LS1 4AP",
    "gp,2,9434765918,Zoë,Smith–Jones,31/12/1960,1,LS14AP",
]
TEXT = "\r\n".join([HEADER, *ROWS]) + "\r\n"
NAMES = ["O’Brien", "Smith–Jones"]


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def family_names(ws) -> list[str]:
    return ws.df("SELECT family_name FROM source_record ORDER BY record_id").family_name.tolist()


@pytest.mark.parametrize(
    "content,declared",
    [
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-8"),  # the mark decides
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-be"), "utf-16"),  # no mark: the zero bytes give the order
        (TEXT.encode("utf-16-le"), "utf-8"),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32"),
        (codecs.BOM_UTF8 + TEXT.encode(), "utf-8"),
        (TEXT.encode("cp1252"), "cp1252"),
        (TEXT.encode("cp1252"), "windows-1252"),
        (TEXT.encode(), "UTF8"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_any_declared_encoding_loads(ws, tmp_path, content, declared):
    (r,) = ingest_path(ws, write(tmp_path / "source_record.csv", content), encoding=declared)
    assert (r.read, r.loaded) == (2, 2)
    assert family_names(ws) == NAMES
    assert ws.df("SELECT given_name FROM source_record ORDER BY 1").given_name.tolist() == [
        "Siân",
        "Zoë",
    ]


def test_windows_text_read_as_utf8_gets_a_cp1252_hint_with_row_and_field(ws, tmp_path):
    f = write(tmp_path / "source_record.csv", "\n".join([HEADER, *ROWS]).encode("cp1252"))
    with pytest.raises(InputError) as err:
        ingest_path(ws, f)
    msg = str(err.value)
    assert "--encoding cp1252" in msg and "latin-1" not in msg
    assert err.value.row == 2 and err.value.field == "given_name"
    assert "Brien" not in msg and "\n" not in msg


def test_windows_text_read_as_latin1_is_refused_not_stored_as_control_characters(ws, tmp_path):
    f = write(tmp_path / "source_record.csv", "\n".join([HEADER, *ROWS]).encode("cp1252"))
    with pytest.raises(InputError, match="pass --encoding cp1252") as err:
        ingest_path(ws, f, encoding="latin-1")
    assert (err.value.row, err.value.field) == (2, "family_name")
    assert not ws.has_table("source_record") or ws.row_count("source_record") == 0
    ingest_path(ws, f, encoding="cp1252")
    assert family_names(ws) == NAMES  # O’Brien, not O\x92Brien


def test_bytes_cp1252_cannot_read_get_a_latin1_hint(ws, tmp_path):
    f = write(tmp_path / "source_record.csv", (HEADER + "\ngp,1,,A,B\x81,,,\n").encode("latin-1"))
    with pytest.raises(InputError, match="--encoding latin-1") as err:
        ingest_path(ws, f, encoding="cp1252")
    assert (err.value.row, err.value.field) == (2, "family_name")


def test_utf16_damaged_text_is_an_input_error(ws, tmp_path):
    f = write(tmp_path / "source_record.csv", codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le") + b"x")
    with pytest.raises(InputError, match="not valid utf-16 text"):
        ingest_path(ws, f)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _parquet() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"source_system": ["gp"], "record_id": ["9"]}), buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,content,loaded",
    [
        ("source_record.csv.gz", gzip.compress(TEXT.encode()), 2),
        ("source_record.csv", gzip.compress(TEXT.encode()), 2),  # gzip by content
        ("source_record.gz", gzip.compress(TEXT.encode("utf-16")), 2),
        ("source_record.zip", _zip({"export/GP_2024.csv": TEXT.encode()}), 2),
        ("source_record.csv", _zip({"x.csv": TEXT.encode(), "__MACOSX/._x.csv": b"\0"}), 2),
        ("source_record.csv.zip", _zip({"x.parquet": _parquet()}), 1),
        ("source_record.csv", _parquet(), 1),  # Parquet by content
    ],
)
def test_compressed_files_load_by_suffix_or_content(ws, tmp_path, name, content, loaded):
    f = write(tmp_path / "in" / name, content)
    assert discover(tmp_path / "in") == [f]
    assert table_for_file(f) == "source_record"
    (r,) = ingest_path(ws, tmp_path / "in")
    assert r.loaded == loaded


@pytest.mark.parametrize(
    "content,needle",
    [
        (_zip({"a.csv": TEXT.encode(), "b.csv": TEXT.encode()}), "exactly one extract"),
        (_zip({}), "exactly one extract"),
        (gzip.compress(TEXT.encode())[:-12], "damaged or cut short"),
        (b"PK\x03\x04 this is not a zip file", "not a readable zip file"),
        (gzip.compress(b""), "empty"),
    ],
)
def test_bad_archives_get_one_line_errors(ws, tmp_path, content, needle):
    f = write(tmp_path / "source_record.csv.gz", content)
    with pytest.raises(InputError) as err:
        ingest_path(ws, f)
    assert needle in str(err.value) and "source_record.csv.gz" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_loads_with_true_row_numbers(ws, tmp_path, eol):
    lines = [
        HEADER,
        "",  # row 2: blank
        ROWS[0],  # row 3
        "",
        "",
        "gp,3,,X,Y,1960-13-01,F,LS1 4AP",  # row 6: bad date
        ",,,,,,,",  # row 7: separators only, not a row
        ROWS[1],  # row 8
        "gp,4,,X,Y,1960-01-01,Q,LS1 4AP",  # row 9: bad sex
        "",
    ]
    f = write(tmp_path / "source_record.csv", eol.join(lines).encode())
    (r,) = ingest_path(ws, f)
    assert (r.read, r.loaded, r.quarantined) == (4, 2, 2)
    q = ws.df("SELECT row_number, field FROM quarantine ORDER BY row_number")
    assert q.row_number.tolist() == [6, 9]
    assert q.field.tolist() == ["date_of_birth", "sex"]
    log = ws.df("SELECT rows_read, rows_loaded, rows_quarantined FROM load_log")
    assert (log.rows_read == log.rows_loaded + log.rows_quarantined).all()


def test_a_quoted_line_end_is_part_of_its_value_and_row_numbers_count_records(ws, tmp_path):
    text = HEADER + ',address\n\ngp,1,,A,B,,,,"1 High St\nLeeds"\ngp,2,,A,B,bad,,,\n'
    (r,) = ingest_path(ws, write(tmp_path / "source_record.csv", text.encode()))
    assert (r.loaded, r.quarantined) == (1, 1)
    assert ws.scalar("SELECT address FROM source_record") == "1 High St\nLeeds"
    assert ws.scalar("SELECT row_number FROM quarantine") == 4  # as a spreadsheet shows it


def test_cr_only_ragged_file_names_its_row(ws, tmp_path):
    f = write(tmp_path / "source_record.csv", f"{HEADER}\r\r{ROWS[0]}\rgp,5,1\r".encode())
    with pytest.raises(InputError, match="do not have the 8 fields") as err:
        ingest_path(ws, f)
    assert err.value.row == 4


def test_links_out_of_the_named_folder_are_refused(ws, tmp_path):
    outside = write(tmp_path / "private" / "source_record.csv", TEXT.encode())
    folder = tmp_path / "extracts"
    write(folder / "source_record__a.csv", TEXT.encode())
    os.symlink(outside, folder / "source_record__b.csv")
    with pytest.raises(InputError, match="outside the folder named"):
        ingest_path(ws, folder)
    assert not ws.has_table("source_record")
    (folder / "source_record__b.csv").unlink()
    os.symlink(tmp_path / "private", folder / "more")
    with pytest.raises(InputError, match="outside the folder named"):
        ingest_path(ws, folder)


def test_a_link_inside_the_folder_is_the_same_file_found_once(ws, tmp_path):
    folder = tmp_path / "extracts"
    real = write(folder / "gp" / "source_record.csv", TEXT.encode())
    os.symlink(folder / "gp", folder / "gp_again")
    os.symlink(real, folder / "source_record__alias.csv")
    assert discover(folder) == [real]


@pytest.mark.parametrize("name", ["utf-9", "base64", "rot13"])
def test_an_unknown_encoding_is_an_input_error_before_anything_is_read(ws, tmp_path, name):
    f = write(tmp_path / "source_record.csv", TEXT.encode())
    with pytest.raises(InputError, match=f"unknown text encoding {name!r}"):
        ingest_path(ws, f, encoding=name)


@pytest.mark.parametrize(
    "bad",
    [
        gzip.compress(TEXT.encode())[:-12],
        _zip({"a.csv": b"x", "b.csv": b"y"}),
        "\n".join([HEADER, *ROWS]).encode("cp1252"),
        f"{HEADER}\rgp,5,1\r".encode(),
    ],
    ids=["cut-gzip", "two-file-zip", "cp1252-as-utf8", "cr-ragged"],
)
def test_a_bad_file_in_a_folder_leaves_the_workspace_as_it_was(ws, tmp_path, bad):
    ingest_path(ws, write(tmp_path / "first" / "source_record.csv", TEXT.encode()))
    before = ws.df("SELECT * FROM source_record ORDER BY record_id")
    folder = tmp_path / "second"
    write(folder / "source_record__a.csv", TEXT.replace("gp,1,", "gp,7,").encode())
    write(folder / "source_record__b.csv.gz", bad)
    with pytest.raises(InputError):
        ingest_path(ws, folder)
    assert ws.df("SELECT * FROM source_record ORDER BY record_id").equals(before)
    assert ws.row_count("load_log") == 1
