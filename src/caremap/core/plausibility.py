"""Plausibility rules: values that are well formed but cannot be true, as data, per table.

A rule bounds one column: ``min`` (not before / not below) and ``max`` (not after / not
above). A bound is a number, a date (``YYYY-MM-DD``), ``today`` (the day of the load), or the
name of another column of the same row (``date_of_death`` not before ``date_of_birth``). A
row that breaks a rule goes to quarantine with the column as its field and the rule as its
reason; a rule whose value, or whose other column, is empty or unreadable does not apply
(the value's own check reports it).

The defaults are in `DEFAULT_RULES`. An ingest config replaces the rules of each table it
names (an empty list turns a table's rules off) and keeps the defaults of the others::

    # ingest.yaml (caremap ingest --rules ingest.yaml)
    tables:
      source_record:
        - {column: date_of_birth, min: 1900-01-01, max: today}
        - {column: date_of_death, min: date_of_birth, max: today}

Dates of birth before 1880 are refused because nobody alive, or in any current record, was
born then (the oldest verified person lived 122 years: Robine & Allard, 1998).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from caremap.core import schema
from caremap.core.errors import ConfigError
from caremap.core.sql import quote_str

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMERIC = ("INTEGER", "BIGINT", "DOUBLE")
_TEMPORAL = ("DATE", "TIMESTAMP")


class Rule(BaseModel):
    """One column's bounds: each a number, a date, ``today`` or another column's name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    min: str | float | None = None
    max: str | float | None = None

    @field_validator("min", "max", mode="before")
    @classmethod
    def _dates_as_text(cls, v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date) else v  # YAML reads 1900-01-01 as a date

    @model_validator(mode="after")
    def _a_bound(self) -> Rule:
        if self.min is None and self.max is None:
            raise ValueError(f"rule on {self.column}: give min, max or both")
        return self


class PlausibilityConfig(BaseModel):
    """Rules per table (qualified name); a table named here has exactly these rules."""

    model_config = ConfigDict(extra="forbid")

    tables: dict[str, list[Rule]] = {}

    def rules_for(self, table: str) -> list[Rule]:
        return list(self.tables[table]) if table in self.tables else DEFAULT_RULES.get(table, [])

    def check(self) -> None:
        """Every rule names a real table, column and bound of a matching type, or ConfigError."""
        problems = []
        for table in sorted({*DEFAULT_RULES, *self.tables}):
            try:
                spec = schema.get(table)
            except KeyError:
                problems.append(f"tables.{table}: not a caremap table")
                continue
            for i, rule in enumerate(self.rules_for(table)):
                problems += [f"tables.{table}.{i}: {p}" for p in _problems(spec, rule)]
        if problems:
            raise ConfigError(
                f"plausibility rules: {len(problems)} problem(s):\n  " + "\n  ".join(problems)
            )


_DOB = (Rule(column="date_of_birth", min="1880-01-01", max="today"),)
_DEATH = (Rule(column="date_of_death", min="date_of_birth", max="today"),)

DEFAULT_RULES: dict[str, list[Rule]] = {
    "source_record": [*_DOB, *_DEATH],
    "condition": [Rule(column="diagnosed_date", min="1880-01-01", max="today")],
    "activity": [Rule(column="end_date", min="start_date")],
    "waiting_pathway": [Rule(column="clock_stop_date", min="referral_date")],
    "contract": [Rule(column="end_date", min="start_date")],
    "trauma_incident": [
        Rule(column="iss", min=1, max=75),
        Rule(column="age", min=0, max=125),
    ],
    "derogation": [Rule(column="expiry_date", min="granted_date")],
}


def sql_whens(
    spec: schema.TableSpec, rules: list[Rule], column: str, value_of, today: dt.date
) -> list[str]:
    """``WHEN ... THEN reason`` clauses for ``column``; ``value_of(name)`` is its typed value."""
    out = []
    col = spec.column(column)
    for rule in rules:
        if rule.column != column:
            continue
        for bound, op, word in ((rule.min, "<", "before"), (rule.max, ">", "after")):
            if bound is None:
                continue
            other, literal, text = _bound(spec, col, bound, today)
            if col.type in _NUMERIC:
                word = {"before": "below", "after": "above"}[word]
            if bound == "today" and word == "after":
                reason = "is in the future"
            else:
                reason = f"is {word} {text}"
            v = value_of(column)
            rhs = value_of(other) if other else literal
            if bound == "today" and word == "after" and col.type == "TIMESTAMP":
                op, rhs = (
                    ">=",
                    f"CAST({quote_str((today + dt.timedelta(days=1)).isoformat())} AS TIMESTAMP)",
                )
            cond = f"{v} IS NOT NULL AND {v} {op} {rhs}"
            if other:
                cond += f" AND {rhs} IS NOT NULL"
            out.append(f"WHEN {cond} THEN {quote_str(reason + ' (implausible)')}")
    return out


def _bound(spec: schema.TableSpec, col: schema.Column, bound: str | float, today: dt.date):
    """(other column, SQL literal, words) for a bound."""
    if isinstance(bound, (int, float)):
        return None, repr(float(bound)), f"{bound:g}"
    if bound == "today":
        return None, f"CAST({quote_str(today.isoformat())} AS {col.type})", "today"
    if _DATE_RE.match(bound):
        return None, f"CAST({quote_str(bound)} AS {col.type})", bound
    return bound, None, bound


def _problems(spec: schema.TableSpec, rule: Rule) -> list[str]:
    names = {c.name: c for c in spec.columns}
    col = names.get(rule.column)
    if col is None:
        return [f"column {rule.column!r} is not a column of {spec.qualified}"]
    if col.type not in (*_NUMERIC, *_TEMPORAL):
        return [f"column {rule.column} is {col.type}: rules bound numbers and dates only"]
    problems = []
    for key, bound in (("min", rule.min), ("max", rule.max)):
        if bound is None:
            continue
        if isinstance(bound, (int, float)):
            if col.type not in _NUMERIC:
                problems.append(f"{key}: {bound} is a number but {rule.column} is a {col.type}")
        elif bound == "today" or _DATE_RE.match(bound):
            if col.type not in _TEMPORAL:
                problems.append(f"{key}: {bound} is a date but {rule.column} is a {col.type}")
            elif bound != "today":
                try:
                    dt.date.fromisoformat(bound)
                except ValueError:
                    problems.append(f"{key}: {bound} is not a real date")
        elif bound not in names:
            problems.append(
                f"{key}: {bound!r} is not a number, a date (YYYY-MM-DD), today or a column "
                f"of {spec.qualified}"
            )
        elif (names[bound].type in _NUMERIC) != (col.type in _NUMERIC):
            problems.append(f"{key}: {bound} is a {names[bound].type}, {rule.column} a {col.type}")
    return problems
