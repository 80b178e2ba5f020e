"""Standards and budget on the small synthetic economy, through the command line."""

import shutil

import pytest

from caremap.cli.main import main
from caremap.core.workspace import open_workspace
from caremap.standards.evaluation import planted_failures

pytestmark = pytest.mark.acceptance


@pytest.fixture(scope="module")
def ran(economy_ws_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("std_econ") / "ws.duckdb"
    shutil.copy(economy_ws_path, path)
    assert main(["standards", "-w", str(path)]) == 0
    assert main(["budget", "-w", str(path), "--as-of", "2024-12-01"]) == 0
    ws = open_workspace(path, memory_limit="1GB")
    yield ws
    ws.close()


def test_every_applicable_site_is_assessed(ran):
    sites = (
        ran.sql(
            "SELECT count(DISTINCT site_code) FROM site WHERE site_type IN "
            "('surgical_hub', 'diagnostic_centre') OR site_code IN (SELECT site_code FROM "
            "site_capability WHERE capability IN ('major_trauma_centre', 'trauma_unit'))"
        )
        .column(0)[0]
        .as_py()
    )
    assert ran.scalar("SELECT count(DISTINCT site_code) FROM standards_compliance") == sites
    statuses = set(
        ran.sql("SELECT DISTINCT status FROM standards_compliance").column(0).to_pylist()
    )
    assert statuses <= {"met", "not met", "no evidence"}


def test_planted_site_failures_are_found(ran):
    found = planted_failures(ran)
    site_level = [r for r in found if r["service"] in ("surgical_hub", "cdc")]
    assert site_level and all(r["result"] == "detected" for r in site_level)
    assert all(r["result"] in ("detected", "no evidence") for r in found)


def test_budget_reconciles_to_the_penny(ran):
    rec = ran.sql("SELECT * FROM budget_reconciliation").to_pylist()
    assert len(rec) == 2 and all(r["reconciles"] for r in rec)
    act = ran.scalar("SELECT sum(CAST(round(coalesce(cost, 0) * 100) AS BIGINT)) FROM activity")
    assert [r["pence_total"] for r in rec if r["source"] == "activity"] == [act]
    n = ran.scalar("SELECT count(*) FROM activity")
    assert (
        ran.scalar(
            "SELECT (SELECT count(*) FROM budget_activity_pot) + (SELECT count(*) FROM budget_review "
            "WHERE source = 'activity')"
        )
        == n
    )
    total = ran.scalar("SELECT sum(allocation_pence) FROM budget_allocation WHERE level = 'pot'")
    assert ran.scalar("SELECT sum(budget_pence) FROM budget_ledger") == total
    pots = set(ran.sql("SELECT pot FROM budget_pot_summary").column(0).to_pylist())
    assert pots == {"primary_care", "continuing_care", "planned_specialist", "public_health"}
    assert ran.scalar("SELECT count(*) FROM budget_scenario") == 4


def test_check_and_bad_spec_from_the_command_line(tmp_path, capsys):
    assert main(["standards", "--check"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("service: x\nname: X\nversion: '1'\nsources: [a]\n"
                   "applies_to: {site_types: [surgical_hub]}\ncriteria:\n"
                   "  - {id: a, title: A, metric: nope, operator: '>=', threshold: 1, "
                   "source: abc}\n")  # fmt: skip
    assert main(["standards", "--check", "--spec", str(bad)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "line 7" in err and "unknown metric 'nope'" in err
