from pathlib import Path

import pytest

from caremap.core.schema_doc import render

pytestmark = pytest.mark.unit


def test_data_model_doc_is_current():
    doc = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
    assert doc.read_text() == render(), (
        "docs/data-model.md is stale: run python -m caremap.core.schema_doc > docs/data-model.md"
    )
