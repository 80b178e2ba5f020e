"""The grading of c-statistics (Hosmer, Lemeshow & Sturdivant 2013, section 5.2.4)."""

import pytest

from caremap.core.stats.discrimination import grade

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "c,quality,weak",
    [
        (0.5, "no better than chance", True),
        (0.599, "no better than chance", True),
        (0.6, "poor", True),
        (0.69, "poor", True),
        (0.7, "acceptable", False),
        (0.8, "excellent", False),
        (0.93, "outstanding", False),
        (float("nan"), "unknown", True),
    ],
)
def test_grades(c, quality, weak):
    d = grade(c, "risk model")
    assert d.quality == quality and d.weak is weak
    if weak:
        assert "risk model" in d.warning
