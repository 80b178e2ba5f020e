"""A workspace for the page tests: the app fixture's tables plus a region, an ICS and needs
indicators at every level with both confidence levels (95% and 99.8%), as `caremap needs`
writes them, with values chosen so that the comparisons are known in advance."""

from __future__ import annotations

import pandas as pd

# value, lower95, upper95 per area; 99.8% limits are wider by 0.2 either side
DIABETES = {
    ("region", "R1"): (5.7, 5.65, 5.75),
    ("ics", "ICS1"): (5.8, 5.7, 5.9),
    ("locality", "L0"): (5.8, 5.5, 6.1),  # similar
    ("locality", "L1"): (6.1, 5.9, 6.3),  # significantly above the ICS
    ("locality", "L2"): (5.0, 4.6, 5.4),  # significantly below
    ("locality", "L3"): (5.9, 5.6, 6.2),  # similar
}
ADMISSIONS = {  # per 100,000, three periods: the trend
    "2022/23": {
        "R1": 9000.0,
        "ICS1": 9500.0,
        "L0": 9100.0,
        "L1": 11000.0,
        "L2": 8000.0,
        "L3": 9600.0,
    },
    "2023/24": {
        "R1": 9100.0,
        "ICS1": 9800.0,
        "L0": 9300.0,
        "L1": 11500.0,
        "L2": 8100.0,
        "L3": 9900.0,
    },
    "2024/25": {
        "R1": 9200.0,
        "ICS1": 10000.0,
        "L0": 9500.0,
        "L1": 12000.0,
        "L2": 8200.0,
        "L3": 10100.0,
    },
}
LEVEL = {
    "R1": "region",
    "ICS1": "ics",
    "L0": "locality",
    "L1": "locality",
    "L2": "locality",
    "L3": "locality",
}
PREVALENCE = "proportion % (Wilson)"
DSR = "dsr per 100000 (ESP 2013)"


def needs_rows(small_areas: list[str]) -> pd.DataFrame:
    rows = []
    for (level, code), (v, lo, hi) in DIABETES.items():
        for conf, pad in ((0.95, 0.0), (0.998, 0.2)):
            rows.append(
                dict(
                    indicator="prevalence_diabetes",
                    area_type=level,
                    area_code=code,
                    period="at 2025-03-31",
                    numerator=int(v * 100),
                    denominator=10_000,
                    value=v,
                    lower=lo - pad,
                    upper=hi + pad,
                    method=PREVALENCE,
                    confidence=conf,
                    note=None,
                )
            )
    for i, sa in enumerate(small_areas):
        v = 4.0 + (i % 5) * 0.5
        for conf, pad in ((0.95, 0.0), (0.998, 0.3)):
            rows.append(
                dict(
                    indicator="prevalence_diabetes",
                    area_type="small_area",
                    area_code=sa,
                    period="at 2025-03-31",
                    numerator=int(v * 10),
                    denominator=1000,
                    value=v,
                    lower=v - 1 - pad,
                    upper=v + 1 + pad,
                    method=PREVALENCE,
                    confidence=conf,
                    note=None,
                )
            )
    for period, values in ADMISSIONS.items():
        for code, v in values.items():
            for conf, pad in ((0.95, 300.0), (0.998, 500.0)):
                rows.append(
                    dict(
                        indicator="emergency_admissions",
                        area_type=LEVEL[code],
                        area_code=code,
                        period=period,
                        numerator=int(v / 10),
                        denominator=10_000,
                        value=v,
                        lower=v - pad,
                        upper=v + pad,
                        method=DSR,
                        confidence=conf,
                        note=None,
                    )
                )
    return pd.DataFrame(rows)


def build_pages_workspace(path) -> None:
    from caremap.core.workspace import open_workspace

    from .conftest import build_workspace

    build_workspace(path)
    ws = open_workspace(path, memory_limit="512MB")
    ws.write_table("region", pd.DataFrame({"region_code": ["R1"], "region_name": ["North Region"]}))
    ws.write_table(
        "ics",
        pd.DataFrame({"ics_code": ["ICS1"], "ics_name": ["Test ICS"], "region_code": ["R1"]}),
    )
    sa = ws.df("SELECT area_code FROM small_area ORDER BY 1")["area_code"].tolist()
    ws.write_table("needs_indicator", needs_rows(sa))
    ws.write_table(
        "provider",
        pd.DataFrame(
            {
                "provider_code": ["P1"],
                "provider_name": ["Test Hospitals NHS Trust"],
                "provider_type": ["acute_trust"],
                "ics_code": ["ICS1"],
            }
        ),
    )
    ws.write_table(
        "load_log",
        pd.DataFrame(
            {
                "table_name": ["small_area", "truth.person"],
                "rows_read": [48, 40],
                "rows_loaded": [48, 40],
                "rows_quarantined": [0, 0],
            }
        ),
    )
    ws.close()
