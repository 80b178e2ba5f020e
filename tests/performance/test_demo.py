"""The performance and waiting demo steps on the small synthetic economy."""

import pytest

from caremap.cli.cmd_performance import demo_performance
from caremap.cli.cmd_waiting import demo_waiting
from caremap.cli.common import DemoContext

pytestmark = pytest.mark.integration


def test_demo_steps(economy_ws, tmp_path):
    ctx = DemoContext(ws=economy_ws, work_dir=tmp_path, seed=7, population=5_000)
    demo_performance(ctx)
    demo_waiting(ctx)
    text = " ".join(t for _, t in ctx.summary)
    assert "candidate best practice" in text and "lists" in text
    tables = set(economy_ws.list_tables())
    assert {
        "funnel_unit",
        "spc_point",
        "performance_best_practice",
        "waiting_summary",
        "waiting_forecast",
    } <= tables
    assert (tmp_path / "hubs_funnel.html").exists()
