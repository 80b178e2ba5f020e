"""Pooled budgets in four pots (`caremap budget`).

Step: `run_budget(ws, BudgetConfig) -> BudgetResult` (``budget/step.py``; config in
``budget/config.py``).

Reads ``activity``, ``contract``, ``contract_line``, ``source_record``, ``site``,
``small_area``, ``population`` and, where present, ``standards_specialised_activity`` and
``needs_locality_map``. Writes ``budget_activity_pot``, ``budget_line_pot``,
``budget_review``, ``budget_reconciliation``, ``budget_population``, ``budget_cost_weight``,
``budget_allocation``, ``budget_ledger``, ``budget_forecast``, ``budget_pot_summary`` and,
with scenarios, ``budget_scenario``.
"""

from caremap.budget.config import BudgetConfig
from caremap.budget.step import BudgetResult, run_budget

__all__ = ["BudgetConfig", "BudgetResult", "run_budget"]
