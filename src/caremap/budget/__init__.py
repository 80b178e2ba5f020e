"""Pooled budgets in four pots (`caremap budget`).

from caremap.budget import BudgetConfig, run_budget
"""

from caremap.budget.step import BudgetConfig, BudgetResult, load_budget_config, run_budget

__all__ = ["BudgetConfig", "BudgetResult", "load_budget_config", "run_budget"]
