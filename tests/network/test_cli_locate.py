"""`caremap locate` and `caremap network` from the command line."""

from __future__ import annotations

import numpy as np
import pytest

from caremap.cli.main import main

pytestmark = pytest.mark.acceptance


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 40, (30, 2))
    s = rng.uniform(0, 40, (6, 2))
    D = np.hypot(*(a[:, None, :] - s[None, :, :]).transpose(2, 0, 1))
    (tmp_path / "demand.csv").write_text(
        "id,demand\n" + "".join(f"d{i},{i % 7 + 1}\n" for i in range(30))
    )
    (tmp_path / "sites.csv").write_text("site,status\n" + "".join(f"s{j},\n" for j in range(6)))
    rows = "".join(f"d{i},s{j},{D[i, j]:.2f}\n" for i in range(30) for j in range(6))
    (tmp_path / "times.csv").write_text("origin,destination,time\n" + rows)
    return tmp_path


def test_locate_pmedian_writes_assignment(files, capsys):
    out = files / "chosen.csv"
    rc = main(
        ["locate", "--demand", str(files / "demand.csv"), "--sites", str(files / "sites.csv"),
         "--times", str(files / "times.csv"), "--model", "pmedian", "--p", "2", "--out", str(out)]
    )  # fmt: skip
    assert rc == 0
    assert "optimal" in capsys.readouterr().out
    assert len(out.read_text().splitlines()) == 31


@pytest.mark.parametrize(
    "model,extra",
    [
        ("mclp", ["--p", "2", "--radius", "10"]),
        ("lscp", ["--radius", "30"]),
        ("pcenter", ["--p", "2"]),
    ],
)
def test_locate_other_models(files, model, extra):
    args = ["locate", "--demand", str(files / "demand.csv"), "--sites", str(files / "sites.csv"),
            "--times", str(files / "times.csv"), "--model", model]  # fmt: skip
    assert main(args + extra) == 0


def test_locate_bad_p_is_a_clear_error(files, capsys):
    rc = main(
        ["locate", "--demand", str(files / "demand.csv"), "--sites", str(files / "sites.csv"),
         "--times", str(files / "times.csv"), "--model", "pmedian", "--p", "9"]
    )  # fmt: skip
    assert rc == 2
    assert "larger than the 6 candidate sites" in capsys.readouterr().err
