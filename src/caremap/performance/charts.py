"""Plotly charts: SPC (XmR, p, u) in the Making Data Count colours, and funnel plots.

Figures are returned as `plotly.graph_objects.Figure`; `write_html` puts several in one
self-contained file with plotly.js embedded once (no CDN, so it opens offline).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# Making Data Count palette (as NHSRplotthedots ``ptd_spc_colours``)
COLOURS = {
    "common_cause": "#7B7D7D",
    "special_cause_improvement": "#289DE0",
    "special_cause_concern": "#FAB428",
    "special_cause_neutral_high": "#361475",
    "special_cause_neutral_low": "#361475",
    "line": "#7B7D7D",
    "limit": "#231F20",
    "target": "#DE1B1B",
}


def spc_figure(points: pd.DataFrame, title: str, target: float | None = None) -> go.Figure:
    """One series' points (rows of ``spc_point``) as an SPC chart."""
    p = points.sort_values("date")
    fig = go.Figure()
    fig.add_scatter(
        x=p["date"],
        y=p["value"],
        mode="lines",
        line_color=COLOURS["line"],
        name="value",
        showlegend=False,
    )
    for kind, colour in COLOURS.items():
        sel = p[p["point_type"] == kind]
        if len(sel):
            fig.add_scatter(
                x=sel["date"],
                y=sel["value"],
                mode="markers",
                marker_color=colour,
                marker_size=8,
                name=kind.replace("_", " "),
                text=sel["special_cause_type"],
                hovertemplate="%{x}: %{y}<br>%{text}",
            )
    for col, dash in (("mean", "solid"), ("lpl", "dash"), ("upl", "dash")):
        for _, seg in p.groupby("rebase_group"):
            fig.add_scatter(
                x=seg["date"],
                y=seg[col],
                mode="lines",
                showlegend=False,
                line=dict(color=COLOURS["limit"], dash=dash, width=1),
                hoverinfo="skip",
                line_shape="hv",
            )
    if target is not None and not np.isnan(target):
        fig.add_hline(
            y=target, line_color=COLOURS["target"], line_dash="dot", annotation_text="target"
        )
    fig.update_layout(
        title=title, template="simple_white", height=380, legend=dict(orientation="h", y=-0.2)
    )
    return fig


def funnel_figure(units: pd.DataFrame, title: str) -> go.Figure:
    """One funnel (rows of ``funnel_unit``): units, target and 95%/99.8% limits."""
    u = units.sort_values("denominator")
    fig = go.Figure()
    for col, dash, name in (
        ("lower95", "dash", "95%"),
        ("upper95", "dash", None),
        ("lower998", "solid", "99.8%"),
        ("upper998", "solid", None),
    ):
        fig.add_scatter(
            x=u["denominator"],
            y=u[col],
            mode="lines",
            name=name or col,
            showlegend=name is not None,
            line=dict(color="#005EB8", dash=dash),
            hoverinfo="skip",
        )
    fig.add_hline(y=float(u["target"].iloc[0]), line_color="#425563")
    colour = np.where(
        u["label"] == "candidate_best_practice",
        "#009639",
        np.where(u["flag"], "#DA291C", "#768692"),
    )
    fig.add_scatter(
        x=u["denominator"],
        y=u["value"],
        mode="markers",
        marker_color=colour,
        name="units",
        text=u["unit"] + np.where(u["evidence"] != "", "<br>" + u["evidence"], ""),
        hovertemplate="%{text}<extra></extra>",
    )
    fig.update_layout(
        title=title,
        template="simple_white",
        height=420,
        xaxis_title="size (denominator)",
        yaxis_title="value",
    )
    return fig


def write_html(figures: list[go.Figure], path: str | Path, title: str = "caremap") -> Path:
    """Write figures to one HTML file, plotly.js embedded once (works offline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures)
    ]
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{''.join(parts)}</body></html>",
        encoding="utf-8",
    )
    return path
