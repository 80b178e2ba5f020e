"""The capability manifest: every pipeline step, command and dashboard page, as data.

One list that everything else reads: the CLI builds its commands and their order from
`COMMANDS`, `caremap demo` runs `STEPS` in ``demo_order``, `Workspace.require` names the
command that produces a missing table (`producer_of`), the dashboard builds one page per
entry of `PAGES` (with the "run X first" hint taken from its step), and
``tests/core/test_layers.py`` takes its list of capabilities from `CAPABILITIES`.

Data only: names and dotted paths (``module:attribute``), never imports of the capabilities,
so ``core`` stays below every capability.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One pipeline step: ``run(ws, config) -> result`` reads ``requires``, writes ``produces``."""

    name: str
    capability: str
    command: str
    run: str
    config: str
    produces: tuple[str, ...]
    requires: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    demo: str | None = None
    demo_order: int | None = None


@dataclass(frozen=True)
class Command:
    """A CLI command: ``caremap [group] name`` runs the module-level function ``target``."""

    name: str
    target: str
    group: str | None = None


@dataclass(frozen=True)
class Page:
    """A dashboard page: the tables it owns (by prefix or exact name) and the step behind it."""

    slug: str
    title: str
    lede: str
    step: str | None
    prefixes: tuple[str, ...]
    exact: tuple[str, ...] = ()


# The capabilities in pipeline order (each is a subpackage of caremap).
CAPABILITIES = (
    "synth",
    "link",
    "needs",
    "risk",
    "network",
    "standards",
    "budget",
    "performance",
    "waiting",
)
# Packages above the capabilities, which may import any of them.
TOP = ("cli", "app")

STEPS: tuple[Step, ...] = (
    Step(
        "synth",
        "synth",
        "caremap synth",
        "caremap.synth:run_synth",
        "caremap.synth:SynthRunConfig",
        produces=(
            "small_area",
            "population",
            "postcode",
            "site",
            "source_record",
            "condition",
            "activity",
        ),
        demo_order=10,
    ),
    Step(
        "link",
        "link",
        "caremap link",
        "caremap.link:run_link",
        "caremap.link:LinkConfig",
        produces=(
            "link_input",
            "person_link",
            "person",
            "link_model",
            "link_quality",
            "link_cluster_sizes",
            "link_unlinked",
            "link_review",
        ),
        requires=("source_record",),
        after=("synth",),
        demo="caremap.cli.cmd_link:demo_link",
        demo_order=30,
    ),
    Step(
        "needs",
        "needs",
        "caremap needs",
        "caremap.needs:run_needs",
        "caremap.needs:NeedsConfig",
        produces=(
            "needs_locality_map",
            "needs_locality_summary",
            "needs_indicator",
            "needs_unresolved",
        ),
        requires=("small_area", "population"),
        after=("synth",),
        demo="caremap.cli.cmd_needs:demo_needs",
        demo_order=40,
    ),
    Step(
        "risk-train",
        "risk",
        "caremap risk train",
        "caremap.risk:run_risk_train",
        "caremap.risk:RiskConfig",
        produces=(
            "risk_model",
            "risk_evaluation",
            "risk_reliability",
            "risk_model_card",
            "risk_features_train",
            "risk_features_test",
            "risk_feature_quality",
            "risk_unknown_codes",
        ),
        requires=("person", "person_link", "activity"),
        after=("link",),
        demo="caremap.cli.cmd_risk:demo_risk",
        demo_order=50,
    ),
    Step(
        "risk-score",
        "risk",
        "caremap risk score",
        "caremap.risk:run_risk_score",
        "caremap.risk:RiskConfig",
        produces=(
            "risk_features",
            "risk_score",
            "risk_tier_summary",
            "risk_tier_locality",
            "risk_caseload",
        ),
        requires=("risk_model",),
        after=("risk-train",),
    ),
    Step(
        "network",
        "network",
        "caremap network",
        "caremap.network:run_network",
        "caremap.network:NetworkConfig",
        produces=(
            "network_scenario",
            "network_policy",
            "network_site_volume",
            "network_access",
            "network_map_site",
            "network_map_area",
        ),
        requires=("small_area", "population", "site"),
        after=("synth",),
        demo="caremap.cli.cmd_network:demo_network",
        demo_order=60,
    ),
    Step(
        "standards",
        "standards",
        "caremap standards",
        "caremap.standards:run_standards",
        "caremap.standards:StandardsConfig",
        produces=(
            "standards_criterion",
            "standards_compliance",
            "standards_site_summary",
            "standards_national",
            "standards_outcome",
            "standards_outcome_model",
            "standards_specialised_activity",
            "standards_specialised_summary",
        ),
        requires=("site", "site_capability"),
        after=("synth",),
        demo="caremap.cli.cmd_standards:demo_standards",
        demo_order=70,
    ),
    Step(
        "budget",
        "budget",
        "caremap budget",
        "caremap.budget:run_budget",
        "caremap.budget:BudgetConfig",
        produces=(
            "budget_activity_pot",
            "budget_line_pot",
            "budget_review",
            "budget_reconciliation",
            "budget_population",
            "budget_cost_weight",
            "budget_allocation",
            "budget_ledger",
            "budget_forecast",
            "budget_pot_summary",
            "budget_scenario",
        ),
        requires=("activity", "contract", "contract_line"),
        after=("standards", "needs"),
        demo="caremap.cli.cmd_budget:demo_budget",
        demo_order=80,
    ),
    Step(
        "performance",
        "performance",
        "caremap performance",
        "caremap.performance:run_performance",
        "caremap.performance:PerformanceConfig",
        produces=(
            "funnel_unit",
            "funnel_summary",
            "spc_point",
            "spc_summary",
            "performance_best_practice",
        ),
        requires=("hub_performance_month",),
        after=("synth",),
        demo="caremap.cli.cmd_performance:demo_performance",
        demo_order=90,
    ),
    Step(
        "waiting",
        "waiting",
        "caremap waiting",
        "caremap.waiting:run_waiting",
        "caremap.waiting:WaitingConfig",
        produces=("waiting_summary", "waiting_forecast", "waiting_clearance"),
        requires=("waiting_pathway",),
        after=("synth",),
        demo="caremap.cli.cmd_waiting:demo_waiting",
        demo_order=95,
    ),
)

# Every command, in the order `caremap --help` lists them.
COMMANDS: tuple[Command, ...] = (
    Command("demo", "caremap.cli.cmd_demo:demo"),
    Command("synth", "caremap.cli.cmd_synth:synth"),
    Command("ingest", "caremap.cli.cmd_ingest:ingest"),
    Command("status", "caremap.cli.cmd_ingest:status"),
    Command("link", "caremap.cli.cmd_link:link"),
    Command("link-files", "caremap.cli.cmd_link:link_files"),
    Command("needs", "caremap.cli.cmd_needs:needs"),
    Command("rates", "caremap.cli.cmd_needs:rates"),
    Command("train", "caremap.cli.cmd_risk:train", group="risk"),
    Command("score", "caremap.cli.cmd_risk:score", group="risk"),
    Command("caseload", "caremap.cli.cmd_risk:caseload", group="risk"),
    Command("evaluate", "caremap.cli.cmd_risk:evaluate", group="risk"),
    Command("network", "caremap.cli.cmd_network:network"),
    Command("locate", "caremap.cli.cmd_network:locate"),
    Command("standards", "caremap.cli.cmd_standards:standards"),
    Command("budget", "caremap.cli.cmd_budget:budget"),
    Command("performance", "caremap.cli.cmd_performance:performance"),
    Command("spc", "caremap.cli.cmd_performance:spc"),
    Command("funnel", "caremap.cli.cmd_performance:funnel"),
    Command("waiting", "caremap.cli.cmd_waiting:waiting"),
    Command("serve", "caremap.cli.cmd_app:serve"),
    Command("add", "caremap.cli.cmd_app:user_add", group="user"),
    Command("list", "caremap.cli.cmd_app:user_list", group="user"),
    Command("disable", "caremap.cli.cmd_app:user_disable", group="user"),
    Command("rotate-key", "caremap.cli.cmd_app:user_rotate_key", group="user"),
    Command("schema", "caremap.cli.cmd_schema:schema"),
)
GROUPS: dict[str, str] = {
    "risk": "Risk stratification: who is most likely to need an emergency admission.",
    "user": "Dashboard users and their roles.",
}

PAGES: tuple[Page, ...] = (
    Page(
        "quality",
        "Data and linkage quality",
        "What was loaded, what was quarantined and why, and how well records link.",
        "link",
        ("link_",),
        ("person_link", "load_log"),
    ),
    Page(
        "needs",
        "Needs by locality",
        "Counts, rates and standardised rates with confidence intervals by area.",
        "needs",
        ("needs_",),
    ),
    Page(
        "risk",
        "Risk of emergency admission",
        "Risk tiers, how well the model discriminates and calibrates, and caseloads.",
        "risk-score",
        ("risk_",),
    ),
    Page(
        "network",
        "Service network design",
        "Which sites become centres, access and volumes, scenarios side by side.",
        "network",
        ("network_",),
    ),
    Page(
        "standards",
        "Service standards",
        "Provider compliance with national service specifications.",
        "standards",
        ("standards_",),
    ),
    Page(
        "budget",
        "Pooled budgets",
        "The four pots, allocation to localities, and budget against spend.",
        "budget",
        ("budget_",),
    ),
    Page(
        "performance",
        "Performance and variation",
        "Statistical process control, funnel plots and league tables.",
        "performance",
        ("performance_", "spc_", "funnel_"),
    ),
    Page(
        "waiting",
        "Waiting lists",
        "Backlog, the capacity needed to hit a target, and clearance forecasts.",
        "waiting",
        ("waiting_",),
    ),
)

STEP_BY_NAME: dict[str, Step] = {s.name: s for s in STEPS}


def producer_of(table: str) -> str | None:
    """The command that writes ``table``, or None for an input table."""
    for s in STEPS:
        if table in s.produces and s.name != "synth":
            return s.command
    return None


def run_hint(step: str) -> str:
    """The command line that produces a step's tables, with the earlier steps of the same
    capability it needs (``caremap risk train && caremap risk score``)."""
    s = STEP_BY_NAME[step]
    before = [run_hint(a) for a in s.after if STEP_BY_NAME[a].capability == s.capability]
    return " && ".join([*before, s.command])


def demo_steps() -> list[Step]:
    """The steps `caremap demo` runs after synthesising and ingesting, in order."""
    return sorted((s for s in STEPS if s.demo), key=lambda s: s.demo_order or 0)


def resolve(dotted: str) -> Any:
    """The object a manifest path ``module:attribute`` names (imported when asked for)."""
    module, _, attr = dotted.partition(":")
    return getattr(importlib.import_module(module), attr)
