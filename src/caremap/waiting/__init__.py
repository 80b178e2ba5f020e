"""Waiting lists and backlog: queue relationships, simulation, clearance forecasts.

Step: `run_waiting(ws, WaitingConfig) -> WaitingResult` (``waiting/step.py``; config in
``waiting/config.py``; `caremap waiting`).

Reads ``waiting_pathway`` (or any table with the same meaning, named in the config).
Writes ``waiting_summary`` and, with the forecast on, ``waiting_forecast`` and
``waiting_clearance``. `waiting_csv` does the same on a CSV, writing nothing.
"""

from caremap.waiting.config import WaitingConfig
from caremap.waiting.step import WaitingResult, run_waiting, waiting_csv

__all__ = ["WaitingConfig", "WaitingResult", "run_waiting", "waiting_csv"]
