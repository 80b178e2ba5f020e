"""`run_link` on the small synthetic economy: contract, accuracy, incremental, failure."""

import shutil

import pyarrow as pa
import pytest

from caremap.core.workspace import open_workspace
from caremap.link import LinkConfig, evaluate_against_truth, run_link

pytestmark = pytest.mark.integration

HELD = "source_system = 'ambulance'"


@pytest.fixture(scope="module")
def linked(economy_ws_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("link") / "economy.duckdb"
    shutil.copy(economy_ws_path, path)
    ws = open_workspace(path, memory_limit="1GB")
    # Hold the ambulance extract back: it arrives later, for the incremental run.
    ws.create_table_as("test_held", f"SELECT * FROM source_record WHERE {HELD}")
    ws.delete_where("source_record", HELD)
    result = run_link(ws, LinkConfig())
    yield ws, result
    ws.close()


def test_every_record_exactly_once_with_the_contract_types(linked):
    ws, result = linked
    n = ws.row_count("source_record")
    assert result.records == n == ws.row_count("person_link")
    assert (
        ws.scalar(
            "SELECT count(*) FROM source_record s ANTI JOIN person_link p "
            "ON p.source_system = s.source_system AND p.record_id = s.record_id"
        )
        == 0
    )
    schema = ws.sql("SELECT * FROM person_link LIMIT 0").schema
    assert [(f.name, str(f.type)) for f in schema] == [
        ("source_system", "string"), ("record_id", "string"), ("person_id", "int64"),
        ("match_probability", "double"), ("match_rule", "string"),
    ]  # fmt: skip
    person = ws.sql("SELECT * FROM person LIMIT 0").schema
    assert person.names == [
        "person_id", "nhs_number", "given_name", "family_name", "date_of_birth", "sex",
        "postcode", "area_code", "practice_code", "date_of_death", "n_records", "sources",
    ]  # fmt: skip
    assert str(person.field("date_of_birth").type) == "date32[day]"
    assert str(person.field("n_records").type) == "int32"
    assert ws.scalar("SELECT sum(n_records) FROM person") == n
    assert ws.scalar("SELECT count(*) FROM person WHERE area_code IS NULL") < 0.02 * result.persons


def test_accuracy_against_truth(linked):
    ws, _ = linked
    ev = evaluate_against_truth(ws)
    assert ev.pairwise_precision >= 0.999
    assert ev.pairwise_recall >= 0.975
    assert ev.cluster_f1 >= 0.985
    assert ws.has_table("link_evaluation")


def test_quality_tables(linked):
    ws, result = linked
    q = {
        (r["source_system"], r["metric"]): r["value"]
        for r in ws.sql("SELECT * FROM link_quality").to_pylist()
    }
    assert q[("gp", "records")] == ws.scalar(
        "SELECT count(*) FROM source_record WHERE source_system='gp'"
    )
    assert 0.9 < q[("gp", "share_linked_to_other_source")] <= 1
    assert 0.9 < q[("all", "estimated_pairwise_precision")] <= 1
    assert ws.scalar("SELECT sum(records) FROM link_cluster_sizes") == result.records
    reasons = ws.sql("SELECT reason FROM link_unlinked").column("reason").to_pylist()
    assert all(r == "no match found" or r.startswith("unlinkable: ") for r in reasons)
    rules = set(ws.sql("SELECT DISTINCT match_rule FROM person_link").column(0).to_pylist())
    assert "deterministic: valid NHS number + date of birth" in rules and "probabilistic" in rules


def test_incremental_keeps_person_ids_and_links_new_records(linked):
    ws, _ = linked
    before = ws.sql("SELECT * FROM person_link ORDER BY source_system, record_id")
    ws.insert_select("source_record", "SELECT * FROM test_held")
    inc = run_link(ws, LinkConfig(incremental=True))
    assert inc.incremental and inc.new_records == ws.row_count("test_held")
    after = ws.sql(
        "SELECT * FROM person_link WHERE source_system <> 'ambulance' "
        "ORDER BY source_system, record_id"
    )
    assert after.equals(before)
    assert ws.row_count("person_link") == ws.row_count("source_record")
    # New records joined the existing person of their true mates.
    wrong = ws.scalar(
        """
        WITH t AS (SELECT p.person_id, t.person_key, p.source_system FROM person_link p
                   JOIN truth.record_person t USING (source_system, record_id))
        SELECT count(*) FROM t a JOIN t b ON a.person_key = b.person_key
        WHERE a.source_system = 'ambulance' AND b.source_system = 'gp'
          AND a.person_id <> b.person_id
        """
    )
    held = ws.row_count("test_held")
    assert wrong <= 0.02 * held
    ev = evaluate_against_truth(ws)
    assert ev.pairwise_precision >= 0.999 and ev.cluster_f1 >= 0.98


def test_failed_run_leaves_the_index_untouched(linked, monkeypatch):
    ws, _ = linked
    before = ws.sql("SELECT * FROM person_link ORDER BY source_system, record_id")
    n_input = ws.row_count("link_input")
    ws.insert_select(
        "source_record",
        "SELECT * REPLACE ('new-' || record_id AS record_id) FROM source_record LIMIT 5",
    )

    def boom(*a, **k):
        raise RuntimeError("engine failed")

    monkeypatch.setattr("caremap.link.step.run_linkage", boom)
    with pytest.raises(RuntimeError):
        run_link(ws, LinkConfig(incremental=True))
    with pytest.raises(RuntimeError):
        run_link(ws, LinkConfig())
    assert ws.sql("SELECT * FROM person_link ORDER BY source_system, record_id").equals(before)
    assert ws.row_count("link_input") == n_input
    ws.delete_where("source_record", "record_id LIKE 'new-%'")


def test_empty_or_missing_source_record(ws):
    from caremap.core.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="source_record"):
        run_link(ws, LinkConfig())
    ws.write_table("source_record", pa.table({"source_system": pa.array([], pa.string())}))
    with pytest.raises(WorkspaceError, match="empty"):
        run_link(ws, LinkConfig())


def test_full_rerun_keeps_person_ids(linked):
    ws, _ = linked
    before = ws.sql("SELECT source_system, record_id, person_id FROM person_link")
    run_link(ws, LinkConfig())
    ws.register_temp("before_ids", before)
    changed = ws.scalar(
        "SELECT count(*) FROM person_link p JOIN before_ids b USING (source_system, record_id) "
        "WHERE p.person_id <> b.person_id"
    )
    assert changed <= 0.005 * before.num_rows
    assert ws.scalar("SELECT count(DISTINCT person_id) FROM person_link") == ws.row_count("person")
