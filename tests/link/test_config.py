import pytest

from caremap.core.config import load_config
from caremap.core.errors import ConfigError
from caremap.link.config import FileLinkConfig, LinkConfig

pytestmark = pytest.mark.unit


def test_defaults_and_yaml_round_trip(tmp_path):
    p = tmp_path / "link.yaml"
    p.write_text("match_threshold: 0.95\nduplicate_free_sources: [gp]\n")
    cfg = load_config(LinkConfig, p)
    assert cfg.match_threshold == 0.95 and cfg.duplicate_free_sources == ["gp"]
    assert "match_threshold" in LinkConfig.model_json_schema()["properties"]


def test_every_problem_is_listed(tmp_path):
    p = tmp_path / "link.json"
    p.write_text('{"match_threshold": 2, "placeholder_nhs_numbers": ["12"], "colour": "red"}')
    with pytest.raises(ConfigError) as e:
        load_config(LinkConfig, p)
    msg = str(e.value)
    assert "3 problem(s)" in msg
    assert "match_threshold" in msg and "placeholder_nhs_numbers" in msg and "colour" in msg


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(LinkConfig, tmp_path / "nope.yaml")


def test_file_config_rejects_unknown_roles_and_empty_maps():
    with pytest.raises(Exception, match="unknown roles"):
        FileLinkConfig(columns={"surname": "s"})
    with pytest.raises(Exception, match="at least one identifying column"):
        FileLinkConfig(columns={"record_id": "id"})
