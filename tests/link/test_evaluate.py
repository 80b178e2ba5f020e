"""Pairwise and cluster accuracy on a worked example counted by hand."""

import pyarrow as pa
import pytest

from caremap.link.evaluate import evaluate_against_truth, evaluate_assignment

pytestmark = pytest.mark.spec


@pytest.fixture
def truth_ws(ws):
    # Truth: person 1 = a,b,c; person 2 = d,e; person 3 = f.
    ws.write_table(
        "truth.record_person",
        pa.table(
            {
                "source_system": ["gp"] * 6,
                "record_id": list("abcdef"),
                "person_key": [1, 1, 1, 2, 2, 3],
            }
        ),
    )
    # Prediction: {a,b} {c} {d,e,f}.
    ws.write_table(
        "person_link",
        pa.table(
            {
                "source_system": ["gp"] * 6,
                "record_id": list("abcdef"),
                "person_id": [10, 10, 11, 12, 12, 12],
                "match_probability": [1.0] * 6,
                "match_rule": ["x"] * 6,
            }
        ),
    )
    return ws


def test_worked_example(truth_ws):
    ev = evaluate_assignment(truth_ws)
    # true pairs: ab ac bc de = 4; predicted: ab de df ef = 4; TP: ab de = 2.
    assert (ev.true_pairs, ev.predicted_pairs, ev.true_positive_pairs) == (4, 4, 2)
    assert ev.pairwise_precision == pytest.approx(0.5, abs=1e-12)
    assert ev.pairwise_recall == pytest.approx(0.5, abs=1e-12)
    # no predicted cluster equals a true person exactly
    assert ev.exact_clusters == 0 and ev.cluster_f1 == 0.0


def test_perfect_linkage_scores_one_and_is_written(truth_ws):
    truth_ws.write_table(
        "person_link",
        pa.table(
            {
                "source_system": ["gp"] * 6,
                "record_id": list("abcdef"),
                "person_id": [1, 1, 1, 2, 2, 3],
                "match_probability": [1.0] * 6,
                "match_rule": ["x"] * 6,
            }
        ),
    )
    ev = evaluate_against_truth(truth_ws)
    assert ev.pairwise_f1 == 1.0 and ev.cluster_f1 == 1.0 and ev.exact_clusters == 3
    rows = truth_ws.sql("SELECT metric, value FROM link_evaluation").to_pylist()
    stored = {r["metric"]: r["value"] for r in rows}
    assert stored["cluster_f1"] == 1.0


def test_missing_truth_names_the_table(ws):
    from caremap.core.errors import WorkspaceError

    ws.write_table(
        "person_link", pa.table({"source_system": ["gp"], "record_id": ["a"], "person_id": [1]})
    )
    with pytest.raises(WorkspaceError, match=r"truth\.record_person"):
        evaluate_assignment(ws)
