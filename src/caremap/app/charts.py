"""Plotly figures as plain JSON-able dicts, drawn in the browser by the locally served plotly.js.

Maps are scatter plots of British National Grid centroids (easting, northing in metres) on an
equal-aspect plane: the workspace's own points, no tiles.
"""

from __future__ import annotations

import math
from typing import Any

NHS_BLUE = "#005eb8"
NHS_COLOURS = [
    "#005eb8",
    "#009639",
    "#ed8b00",
    "#7c2855",
    "#00a499",
    "#330072",
    "#da291c",
    "#41b6e6",
    "#ffb81c",
    "#425563",
]
Figure = dict[str, Any]


def _clean(values) -> list:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            out.append(None)
        elif hasattr(v, "isoformat"):
            out.append(v.isoformat())
        elif hasattr(v, "item"):
            out.append(v.item())
        else:
            out.append(v)
    return out


def _layout(title: str, **kw) -> dict[str, Any]:
    layout = {
        "title": {"text": title, "font": {"size": 16}},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "font": {"family": "Arial, sans-serif"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "height": 420,
    }
    layout.update(kw)
    return layout


def map_points(
    title: str,
    areas: dict[str, list] | None,
    value_label: str | None = None,
    sites: list[dict[str, list]] | None = None,
) -> Figure:
    """Small-area centroids (coloured by ``areas['value']`` when given) and site layers."""
    data: list[dict[str, Any]] = []
    if areas:
        marker: dict[str, Any] = {"size": 6, "color": "#aeb7bd"}
        if areas.get("value") is not None:
            marker = {
                "size": 7,
                "color": _clean(areas["value"]),
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": {"text": value_label or "value"}},
            }
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "small areas",
                "x": _clean(areas["easting"]),
                "y": _clean(areas["northing"]),
                "text": _clean(areas.get("label", [])),
                "marker": marker,
                "hovertemplate": "%{text}<extra></extra>" if areas.get("label") else None,
            }
        )
    for i, layer in enumerate(sites or []):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": layer.get("name", "sites"),
                "x": _clean(layer["easting"]),
                "y": _clean(layer["northing"]),
                "text": _clean(layer.get("label", [])),
                "marker": {
                    "size": layer.get("size", 11),
                    "symbol": layer.get("symbol", "diamond"),
                    "color": layer.get("color", NHS_COLOURS[(i + 2) % len(NHS_COLOURS)]),
                    "line": {"width": 1, "color": "white"},
                },
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title,
            height=560,
            xaxis={"title": {"text": "easting (m)"}, "showgrid": False, "zeroline": False},
            yaxis={
                "title": {"text": "northing (m)"},
                "scaleanchor": "x",
                "scaleratio": 1,
                "showgrid": False,
                "zeroline": False,
            },
            legend={"orientation": "h"},
        ),
    }


def bar(
    title: str,
    x,
    y,
    *,
    name: str = "",
    horizontal: bool = False,
    xlabel: str = "",
    ylabel: str = "",
    color: str = NHS_BLUE,
) -> Figure:
    trace: dict[str, Any] = {"type": "bar", "name": name, "marker": {"color": color}}
    if horizontal:
        trace.update(x=_clean(y), y=_clean(x), orientation="h")
    else:
        trace.update(x=_clean(x), y=_clean(y))
    return {
        "data": [trace],
        "layout": _layout(
            title,
            xaxis={"title": {"text": xlabel}, "automargin": True},
            yaxis={"title": {"text": ylabel}, "automargin": True},
        ),
    }


def grouped_bar(
    title: str, x, series: dict[str, list], *, ylabel: str = "", barmode: str = "group"
) -> Figure:
    data = [
        {
            "type": "bar",
            "name": k,
            "x": _clean(x),
            "y": _clean(v),
            "marker": {"color": NHS_COLOURS[i % len(NHS_COLOURS)]},
        }
        for i, (k, v) in enumerate(series.items())
    ]
    return {
        "data": data,
        "layout": _layout(title, barmode=barmode, yaxis={"title": {"text": ylabel}}),
    }


def lines(
    title: str,
    series: dict[str, tuple[list, list]],
    *,
    xlabel: str = "",
    ylabel: str = "",
    dashed: tuple[str, ...] = (),
) -> Figure:
    data = []
    for i, (k, (x, y)) in enumerate(series.items()):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers" if len(x) < 60 else "lines",
                "name": k,
                "x": _clean(x),
                "y": _clean(y),
                "line": {
                    "color": NHS_COLOURS[i % len(NHS_COLOURS)],
                    "dash": "dash" if k in dashed else "solid",
                },
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title, xaxis={"title": {"text": xlabel}}, yaxis={"title": {"text": ylabel}}
        ),
    }


def heatmap(
    title: str,
    z: list[list],
    x: list,
    y: list,
    *,
    zlabel: str = "",
    colorscale: str = "RdYlGn",
    zmin: float | None = None,
    zmax: float | None = None,
) -> Figure:
    trace: dict[str, Any] = {
        "type": "heatmap",
        "z": [_clean(r) for r in z],
        "x": _clean(x),
        "y": _clean(y),
        "colorscale": colorscale,
        "colorbar": {"title": {"text": zlabel}},
        "hoverongaps": False,
    }
    if zmin is not None:
        trace["zmin"] = zmin
    if zmax is not None:
        trace["zmax"] = zmax
    return {
        "data": [trace],
        "layout": _layout(
            title,
            height=max(300, 40 + 28 * len(y)),
            xaxis={"automargin": True},
            yaxis={"automargin": True},
        ),
    }


def pyramid(
    title: str,
    bands: list,
    left: list,
    right: list,
    left_name: str,
    right_name: str,
    xlabel: str = "people",
) -> Figure:
    """A population pyramid: ``left`` drawn to the left of the axis."""
    lv = [-(v or 0) if v is not None else None for v in _clean(left)]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": left_name,
                "y": _clean(bands),
                "x": lv,
                "marker": {"color": NHS_BLUE},
                "customdata": _clean(left),
                "hovertemplate": "%{y}: %{customdata}<extra>" + left_name + "</extra>",
            },
            {
                "type": "bar",
                "orientation": "h",
                "name": right_name,
                "y": _clean(bands),
                "x": _clean(right),
                "marker": {"color": "#ed8b00"},
            },
        ],
        "layout": _layout(
            title,
            barmode="relative",
            bargap=0.05,
            xaxis={"title": {"text": xlabel}},
            yaxis={"title": {"text": "age band"}, "type": "category"},
        ),
    }


def scatter(
    title: str,
    x,
    y,
    *,
    text=None,
    xlabel: str = "",
    ylabel: str = "",
    extra: list[dict[str, Any]] | None = None,
    name: str = "",
) -> Figure:
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": name or "points",
            "x": _clean(x),
            "y": _clean(y),
            "text": _clean(text or []),
            "marker": {"color": NHS_BLUE, "size": 8},
        }
    ]
    data += extra or []
    return {
        "data": data,
        "layout": _layout(
            title, xaxis={"title": {"text": xlabel}}, yaxis={"title": {"text": ylabel}}
        ),
    }
