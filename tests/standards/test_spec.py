"""Specifications as data: the shipped ones load, and bad ones say file, line and field."""

import pytest

from caremap.core.errors import ConfigError
from caremap.standards.metrics import METRICS
from caremap.standards.spec import load_spec, load_specs, shipped_spec_paths

pytestmark = pytest.mark.unit

GOOD = """\
schema_version: 1
service: demo
name: Demo
version: "1"
sources: ["somewhere"]
applies_to:
  site_types: [surgical_hub]
criteria:
  - id: util
    title: Utilisation
    metric: hub_theatre_utilisation
    operator: ">="
    threshold: 0.85
    source: "planning guidance"
"""


def _write(tmp_path, text, name="spec.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_shipped_specifications():
    specs = {s.service: s for s in load_specs()}
    assert set(specs) == {"mtc", "trauma_unit", "surgical_hub", "cdc"}
    for s in specs.values():
        assert s.sources and all(c.source for c in s.criteria)
        assert all(c.metric in METRICS for c in s.criteria)
    mtc = {c.id: c for c in specs["mtc"].criteria}
    assert mtc["ct_reduced_consciousness"].params == {"gcs_below": 13, "minutes": 60}
    assert mtc["definitive_airway"].params == {"minutes": 30}
    assert mtc["annual_volume"].threshold == 250
    assert len(shipped_spec_paths()) == 4


def test_good_spec_loads(tmp_path):
    s = load_spec(_write(tmp_path, GOOD))
    assert s.criteria[0].evidence_months == 12 and not s.criteria[0].critical


def test_unknown_metric_refused_with_line(tmp_path):
    p = _write(tmp_path, GOOD.replace("hub_theatre_utilisation", "theatre_happiness"))
    with pytest.raises(ConfigError) as e:
        load_spec(p)
    msg = str(e.value)
    assert f"{p}, line 11, field criteria.0.metric" in msg
    assert "unknown metric 'theatre_happiness'" in msg


def test_every_problem_reported_with_line_and_field(tmp_path):
    bad = (
        GOOD.replace('operator: ">="', 'operator: "=>"')
        .replace("threshold: 0.85", "threshold: lots")
        .replace("name: Demo\n", "")
    )
    with pytest.raises(ConfigError) as e:
        load_spec(_write(tmp_path, bad))
    msg = str(e.value)
    assert "3 problem(s)" in msg
    assert "line 11, field criteria.0.operator" in msg
    assert "line 12, field criteria.0.threshold" in msg
    assert "field name" in msg


def test_unknown_parameter_and_bad_proportion(tmp_path):
    bad = GOOD.replace("threshold: 0.85", "threshold: 85\n    params: {minutes: 3}")
    with pytest.raises(ConfigError) as e:
        load_spec(_write(tmp_path, bad))
    msg = str(e.value)
    assert "line 13, field criteria.0.threshold" in msg and "between 0 and 1" in msg
    assert "line 14, field criteria.0.params.minutes" in msg


def test_unknown_field_and_duplicate_ids(tmp_path):
    dup = GOOD + GOOD[GOOD.index("  - id: util") :].replace("title", "titel")
    with pytest.raises(ConfigError) as e:
        load_spec(_write(tmp_path, dup))
    msg = str(e.value)
    assert "field criteria.1.titel" in msg  # extra field refused
    assert "criteria.1.title" in msg  # and the missing one named


def test_invalid_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="line 2"):
        load_spec(_write(tmp_path, "service: x\n  bad: [\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_spec(tmp_path / "nope.yaml")


def test_duplicate_service_across_files(tmp_path):
    a = _write(tmp_path, GOOD, "a.yaml")
    b = _write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(ConfigError, match="specified twice"):
        load_specs([a, b])


def test_no_applicability(tmp_path):
    with pytest.raises(ConfigError, match="give site_types or capabilities"):
        load_spec(
            _write(
                tmp_path,
                GOOD.replace("  site_types: [surgical_hub]\n", "  {}\n").replace(
                    "applies_to:\n  {}", "applies_to: {}"
                ),
            )
        )
