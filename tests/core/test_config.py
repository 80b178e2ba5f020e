import pytest
from pydantic import BaseModel, Field

from caremap.core.config import load_config, read_mapping
from caremap.core.errors import ConfigError

pytestmark = pytest.mark.unit


class Example(BaseModel):
    population: int = Field(1000, gt=0)
    seed: int = 1
    name: str = "x"


def test_yaml_json_and_overrides(tmp_path):
    (tmp_path / "a.yaml").write_text("population: 50\n")
    (tmp_path / "b.json").write_text('{"seed": 9}')
    assert load_config(Example, tmp_path / "a.yaml", seed=3).model_dump() == {
        "population": 50,
        "seed": 3,
        "name": "x",
    }
    assert load_config(Example, tmp_path / "b.json").seed == 9
    assert load_config(Example).population == 1000
    assert read_mapping(_empty(tmp_path)) == {}


def _empty(tmp_path):
    p = tmp_path / "empty.yml"
    p.write_text("")
    return p


def test_every_problem_is_listed(tmp_path):
    (tmp_path / "c.yaml").write_text("population: -1\nseed: many\n")
    with pytest.raises(ConfigError) as err:
        load_config(Example, tmp_path / "c.yaml")
    msg = str(err.value)
    assert "2 problem(s)" in msg and "population" in msg and "seed" in msg


@pytest.mark.parametrize(
    "name,text,needle",
    [
        ("d.yaml", "a: [1,\n", "not valid YAML"),
        ("e.json", "{", "not valid JSON"),
        ("f.yaml", "- 1\n- 2\n", "expected a mapping"),
    ],
)
def test_unreadable_files(tmp_path, name, text, needle):
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=needle):
        read_mapping(tmp_path / name)
    with pytest.raises(ConfigError, match="no such config file"):
        read_mapping(tmp_path / "missing.yaml")
