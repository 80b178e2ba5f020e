"""The capability manifest is the one list: every step writes the tables it lists, and every
CLI command, app page and "run X first" hint comes from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from caremap.core.manifest import (
    CAPABILITIES,
    COMMANDS,
    PAGES,
    STEP_BY_NAME,
    STEPS,
    demo_steps,
    producer_of,
    resolve,
    run_hint,
)
from caremap.core.result import StepResult

pytestmark = pytest.mark.integration

SRC = Path(__file__).resolve().parents[2] / "src" / "caremap"


def _cli_commands() -> set[str]:
    """``caremap [group] name`` of every command the built CLI has."""
    from caremap.cli.main import app

    names = {c.name for c in app.registered_commands}
    for g in app.registered_groups:
        names |= {f"{g.name} {c.name}" for c in g.typer_instance.registered_commands}
    return names


def _config(step):
    cls = resolve(step.config)
    if step.name == "budget":  # as `caremap budget` and the demo run it: the shipped scenario
        from caremap.budget.step import shipped_scenario_path

        return cls(scenario_files=[shipped_scenario_path()])
    return cls()


def test_every_step_writes_the_tables_it_lists(economy_ws):
    """On the synthetic economy, each step in pipeline order returns a `StepResult` naming
    exactly the tables the manifest lists, and those tables exist afterwards."""
    for step in STEPS:
        if step.name == "synth":
            continue  # below, on its own workspace
        economy_ws.require(*step.requires)
        result = resolve(step.run)(economy_ws, _config(step))
        assert isinstance(result, StepResult), step.name
        assert set(result.tables) == set(step.produces), step.name
        for table in step.produces:
            assert economy_ws.has_table(table), f"{step.name} did not write {table}"
        assert all(isinstance(w, str) for w in result.warnings)


def test_synth_step_writes_its_tables(ws, tmp_path):
    cfg = resolve(STEP_BY_NAME["synth"].config)(population=600, seed=3, out_dir=tmp_path / "x")
    result = resolve(STEP_BY_NAME["synth"].run)(ws, cfg)
    assert set(STEP_BY_NAME["synth"].produces) <= set(result.tables)
    for table in STEP_BY_NAME["synth"].produces:
        assert ws.row_count(table) > 0, table
    assert result.loaded > 0 and result.summary.population == 600


def test_every_command_comes_from_the_manifest():
    listed = {f"{c.group} {c.name}" if c.group else c.name for c in COMMANDS}
    assert _cli_commands() == listed
    # and no command function is left out of the manifest
    targets = {c.target for c in COMMANDS}
    for path in (SRC / "cli").glob("cmd_*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", "") == "command"
                for d in node.decorator_list
            ):
                assert f"caremap.cli.{path.stem}:{node.name}" in targets, node.name


def test_every_step_command_and_hint_is_a_real_command():
    commands = _cli_commands()
    for step in STEPS:
        assert step.command.removeprefix("caremap ") in commands, step.command
        assert step.capability in CAPABILITIES
        for before in step.after:
            assert before in STEP_BY_NAME
    for page in PAGES:
        for part in run_hint(page.step).split(" && "):
            assert part.removeprefix("caremap ") in commands, part
    for step in STEPS:
        for table in step.produces:
            hint = producer_of(table)
            assert hint is None or hint.removeprefix("caremap ") in commands


def test_demo_runs_every_step_with_a_demo_in_order():
    order = [s.demo_order for s in demo_steps()]
    assert order == sorted(order)
    for step in demo_steps():
        assert callable(resolve(step.demo))
    assert {s.capability for s in demo_steps()} == set(CAPABILITIES) - {"synth"}


def test_app_pages_come_from_the_manifest():
    from caremap.app.capabilities import CAPABILITIES as APP_PAGES

    assert [p.slug for p in APP_PAGES] == [p.slug for p in PAGES]
    for app_page, page in zip(APP_PAGES, PAGES, strict=True):
        assert app_page.command == run_hint(page.step)
        assert app_page.prefixes == page.prefixes and app_page.title == page.title


def test_a_missing_table_names_its_command(ws):
    from caremap.core.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match=r"risk_caseload \(run `caremap risk score`\)"):
        ws.require("risk_caseload")
    with pytest.raises(WorkspaceError, match=r"funnel_unit \(run `caremap performance`\)"):
        ws.require("funnel_unit")


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_one_hop_from_the_package_to_step_config_and_result(capability):
    """``caremap.<capability>`` exports its step(s), config and result, and its docstring
    names the tables it reads and writes."""
    import importlib

    pkg = importlib.import_module(f"caremap.{capability}")
    steps = [s for s in STEPS if s.capability == capability]
    assert steps
    for step in steps:
        module, _, run = step.run.partition(":")
        assert module == f"caremap.{capability}" and run in pkg.__all__
        assert step.config.partition(":")[2] in pkg.__all__
        assert step.run.partition(":")[2].startswith("run_")
        ret = resolve(step.run).__annotations__["return"]
        assert ret in pkg.__all__, ret
        assert issubclass(getattr(pkg, ret), StepResult)
        assert getattr(pkg, ret).__dataclass_params__.frozen
    for table in steps[0].produces[:3]:
        assert table in (pkg.__doc__ or ""), f"{capability} docstring does not name {table}"
