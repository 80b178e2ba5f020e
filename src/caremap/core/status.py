"""What is in a workspace: tables and row counts, recent loads, quarantine counts."""

from __future__ import annotations

from typing import Any

from caremap.core.ingest import LOAD_LOG, QUARANTINE
from caremap.core.workspace import Workspace


def workspace_status(ws: Workspace, last_loads: int = 20) -> dict[str, Any]:
    tables = [{"table": t, "rows": ws.row_count(t)} for t in ws.list_tables()]
    loads: list[dict[str, Any]] = []
    quarantine: list[dict[str, Any]] = []
    if ws.has_table(LOAD_LOG):
        df = ws.df(
            f'SELECT load_id, table_name AS "table", file, rows_read AS read, '
            f"rows_loaded AS loaded, rows_quarantined AS quarantined, rows_replaced AS replaced, "
            f"finished_at FROM {LOAD_LOG} ORDER BY load_id DESC LIMIT {int(last_loads)}"
        )
        loads = df.to_dict("records")
    if ws.has_table(QUARANTINE):
        df = ws.df(
            f'SELECT table_name AS "table", field, reason, count(*) AS rows FROM {QUARANTINE} '
            "GROUP BY 1, 2, 3 ORDER BY rows DESC"
        )
        quarantine = df.to_dict("records")
    return {
        "workspace": str(ws.path),
        "engine": ws.engine,
        "tables": tables,
        "loads": loads,
        "quarantine": quarantine,
    }
