"""`caremap synth` end to end, and the settings file."""

from __future__ import annotations

import json

import pytest

from caremap.cli.main import main
from caremap.core.config import load_config, validate_config
from caremap.core.errors import ConfigError, InputError
from caremap.synth import SynthConfig, generate

pytestmark = pytest.mark.acceptance


def test_help_has_examples(capsys):
    assert main(["synth", "--help"]) == 0
    out = capsys.readouterr().out
    assert "caremap synth --population" in out and "--no-ingest" in out


def test_synth_then_ingest_into_a_workspace(tmp_path, capsys):
    out = tmp_path / "extracts"
    ws = tmp_path / "w.duckdb"
    code = main(["synth", "--population", "1500", "--seed", "3", "--out", str(out), "-w", str(ws)])
    assert code == 0
    assert (out / "truth" / "person.parquet").exists()
    assert "Reconciliation" in capsys.readouterr().out
    assert main(["status", "--json", "-w", str(ws)]) == 0
    status = json.loads(capsys.readouterr().out)
    rows = {t["table"]: t["rows"] for t in status["tables"]}
    assert rows["truth.person"] == 1500 and rows["activity"] > 1500


def test_no_ingest_and_a_yaml_config(tmp_path):
    cfg = tmp_path / "synth.yaml"
    cfg.write_text("noise:\n  nhs_digit_typo: 0.0\nemergency_per_1000: 90\n")
    code = main(["synth", "-p", "800", "-o", str(tmp_path / "x"), "--no-ingest",
                 "--config", str(cfg)])  # fmt: skip
    assert code == 0
    assert not (tmp_path / "caremap.duckdb").exists()
    assert load_config(SynthConfig, cfg).noise.nhs_digit_typo == 0.0


def test_bad_settings_are_all_reported(tmp_path, capsys):
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"area_size": 1, "noise": {"junk_dob": 2}, "colour": "red"}))
    with pytest.raises(ConfigError) as err:
        load_config(SynthConfig, cfg)
    msg = str(err.value)
    assert "area_size" in msg and "junk_dob" in msg and "colour" in msg
    assert main(["synth", "-p", "500", "-o", str(tmp_path / "y"), "--config", str(cfg)]) == 2
    with pytest.raises(ConfigError, match="population"):
        generate(10, 1, tmp_path / "z")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="output folder"):
        generate(500, 1, blocker / "out")


def test_partial_per_system_rates_keep_the_defaults_and_bad_ones_are_named():
    cfg = validate_config(SynthConfig, {"noise": {"missing_nhs_number": {"ae": 0.2}}})
    assert cfg.noise.missing_nhs_number["ae"] == 0.2
    assert cfg.noise.missing_nhs_number["gp"] == 0.002
    with pytest.raises(ConfigError) as err:
        validate_config(SynthConfig, {"noise": {"nickname": {"pharmacy": 0.1, "gp": 2}}})
    assert "pharmacy" in str(err.value) and "gp" in str(err.value)
    schema = SynthConfig.model_json_schema()
    assert "noise" in schema["properties"]
