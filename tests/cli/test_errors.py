"""A user's mistake on the command line gets one line on stderr and exit code 2, never a
traceback; a read-only command on a missing workspace creates nothing; a workspace locked
by another process is named as such."""

from __future__ import annotations

import subprocess
import sys

import pytest

from caremap.cli.main import main

pytestmark = pytest.mark.integration

MISTAKES = [
    [],
    ["--bogus"],
    ["serv"],
    ["spc", "--bogus"],
    ["spc", "x.csv", "--chart", "q"],
    ["spc", "x.csv", "--improvement", "up"],
    ["risk"],
    ["risk", "trian"],
    ["risk", "train", "--model", "forest"],
    ["user"],
    ["user", "remove", "alice"],
    ["link", "--threshold", "high"],
    ["needs", "--localities", "everywhere"],
    ["funnel", "--type", "XX"],
    ["funnel", "--limit", "90"],
    ["rates"],
    ["rates", "f.csv"],
    ["serve", "--port", "0"],
    ["serve", "--port", "eighty"],
    ["status", "--engine", "oracle"],
    ["status", "extra"],
    ["demo", "--population", "many"],
    ["locate", "--model", "pmedian"],
    ["waiting", "--sims"],
    ["synth", "-p"],
]


@pytest.mark.parametrize("argv", MISTAKES, ids=lambda a: " ".join(a) or "(nothing)")
def test_usage_mistake_is_one_line_and_exit_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "--help" in lines[0], err
    assert "Traceback" not in err and "internal error" not in err
    assert not list(tmp_path.iterdir()), "a usage mistake created files"


def test_the_help_still_works(capsys):
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["risk", "--help"]) == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["status", "--json"],
        ["spc", "--table", "hub_performance_month", "--date", "month", "--value", "booked"],
        ["funnel", "--table", "t", "--unit", "u", "--numerator", "n", "--denominator", "d"],
        ["performance"],
        ["risk", "caseload", "--out", "c.csv"],
        ["serve"],
        ["user", "list"],
    ],
)
def test_reading_a_missing_workspace_creates_nothing(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAREMAP_WORKSPACE", raising=False)
    missing = tmp_path / "nowhere.duckdb"
    code = main([*argv, "-w", str(missing)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "no workspace at" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir()), "a read created files"


def test_a_locked_workspace_is_named_in_use(ws, capsys):
    path = ws.path
    ws.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        for argv in (["status", "-w", str(path)], ["needs", "-w", str(path)]):
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert "is in use by process" in err and "(the dashboard?)" in err, err
            assert "Conflicting lock" not in err and len(err.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()
