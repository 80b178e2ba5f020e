"""`caremap spc`, `caremap funnel` and `caremap waiting` end to end."""

import numpy as np
import pandas as pd
import pytest

from caremap.cli.main import main

pytestmark = pytest.mark.acceptance


@pytest.fixture
def series_csv(tmp_path):
    rng = np.random.default_rng(2)
    d = pd.date_range("2021-01-01", periods=30, freq="MS")
    df = pd.concat(
        [
            pd.DataFrame(
                {
                    "month": d,
                    "unit": u,
                    "n": rng.integers(80, 120, 30),
                    "x": rng.integers(5, 15, 30),
                }
            )
            for u in ("a", "b", "c")
        ]
    )
    df["value"] = df["x"] / df["n"]
    p = tmp_path / "s.csv"
    df.to_csv(p, index=False)
    return p


def test_spc_csv(series_csv, tmp_path, capsys):
    rc = main(
        [
            "spc",
            str(series_csv),
            "--date",
            "month",
            "--value",
            "value",
            "--group",
            "unit",
            "--out",
            str(tmp_path / "o"),
            "--charts",
            "2",
        ]
    )
    assert rc == 0
    s = pd.read_csv(tmp_path / "o" / "s_spc_summary.csv")
    assert list(s["series"]) == ["a", "b", "c"]
    html = (tmp_path / "o" / "s_spc.html").read_text()
    assert '<script src="http' not in html and html.count('class="plotly-graph-div"') == 2


def test_spc_bad_input_is_one_clear_line(series_csv, tmp_path, capsys):
    rc = main(["spc", str(series_csv), "--date", "month", "--value", "value"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "duplicate dates within a series" in err and "Traceback" not in err


def test_funnel_csv(series_csv, tmp_path):
    df = pd.read_csv(series_csv).groupby("unit", as_index=False)[["x", "n"]].sum()
    p = tmp_path / "u.csv"
    df.to_csv(p, index=False)
    rc = main(
        [
            "funnel",
            str(p),
            "--unit",
            "unit",
            "--numerator",
            "x",
            "--denominator",
            "n",
            "--lower-is-better",
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 0
    u = pd.read_csv(tmp_path / "u_funnel_units.csv")
    assert set(u["unit"]) == {"a", "b", "c"}


def test_funnel_config_errors_list_everything(tmp_path, capsys):
    cfg = tmp_path / "f.yaml"
    cfg.write_text("unit: u\ndata_type: XX\nfdr: 2\n")
    p = tmp_path / "u.csv"
    p.write_text("u,x,n\na,1,2\n")
    rc = main(["funnel", str(p), "--config", str(cfg)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "data_type" in err and "fdr" in err and "Traceback" not in err


def test_waiting_calculator(capsys):
    rc = main(["waiting", "--demand", "30", "--target-wait", "52", "--queue-size", "1200"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "390.00" in out and "61.15" in out
