"""The `caremap needs` and `caremap rates` commands end to end."""

from __future__ import annotations

import pandas as pd
import pytest

from caremap.cli.main import main
from caremap.core.workspace import open_workspace

pytestmark = pytest.mark.acceptance


def test_rates_command_writes_csv(tmp_path):
    f = tmp_path / "in.csv"
    pd.DataFrame(
        {"lsoa": ["A", "A", "B"], "band": ["0-4", "90+", "0-4"], "n": [30, 12, 4], "p": [1e4] * 3}
    ).to_csv(f, index=False)
    out = tmp_path / "out.csv"
    code = main(
        ["rates", str(f), "--area", "lsoa", "--count", "n", "--population", "p", "--age-band",
         "band", "--method", "dsr", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    res = pd.read_csv(out)
    assert list(res.lsoa) == ["A", "B"]
    assert {"value", "lower95cl", "upper95cl", "lower99_8cl", "upper99_8cl"} <= set(res.columns)
    assert res.value.notna().tolist() == [True, False]


def test_rates_command_reports_bad_input_without_traceback(tmp_path, capsys):
    f = tmp_path / "in.csv"
    pd.DataFrame({"lsoa": ["A"], "n": [-1], "p": [10]}).to_csv(f, index=False)
    code = main(["rates", str(f), "--area", "lsoa", "--count", "n", "--population", "p"])
    err = " ".join(capsys.readouterr().err.split())  # undo the console's line wrapping
    assert code == 2
    assert "row 2" in err and "'n'" in err and "Traceback" not in err
    code = main(["rates", str(f), "--area", "lsoa", "--count", "n", "--population", "p",
                 "--method", "median"])  # fmt: skip
    assert code == 2 and "method" in capsys.readouterr().err


def test_needs_command_on_a_workspace(tiny_ws_path, tmp_path, capsys):
    path = tiny_ws_path
    code = main(["needs", "-w", str(path), "--target-population", "5000"])
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "7 localities" in text and "needs_unresolved" in text
    with open_workspace(path) as ws:
        assert ws.row_count("needs_indicator") > 0
    code = main(["needs", "-w", str(tmp_path / "empty.duckdb")])
    assert code == 2 and "small_area" in capsys.readouterr().err


def test_demo_step_runs_and_reports(tiny_ws_path, tmp_path):
    from caremap.cli.cmd_needs import demo_needs
    from caremap.cli.common import DemoContext
    from caremap.core.manifest import STEP_BY_NAME

    assert STEP_BY_NAME["needs"].demo_order == 40
    with open_workspace(tiny_ws_path) as ws:
        ctx = DemoContext(ws=ws, work_dir=tmp_path, seed=1, population=1_000)
        demo_needs(ctx)
        assert ctx.summary and ctx.summary[0][0] == "needs"
        assert "localities" in ctx.summary[0][1]
        assert ws.has_table("needs_indicator")
