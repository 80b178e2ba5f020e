"""Synthetic contracts and contract lines for every provider type, consistent with activity.

One contract per provider and financial year (April to March). Providers with an activity
feed (acute, community, ambulance, GP, social care, independent sector) get one line per
setting, point of delivery and specialty, whose planned activity is that year's actual
activity annualised with a few per cent of planning error and whose unit price is the mean
actual cost, so contract values track activity. Services without an activity feed get block
contracts, valued per head of population: public health from the local authority (about
£62 a head a year in all: the public health grant, DHSC *Public health ring-fenced grant
2023 to 2024*, £3.5bn for 56m people), NHS 111 and out-of-hours GP services, and one hospice
grant with no classification rule, which the budget sends to review.

Also writes ``gp_federation``: each locality's practices grouped into federations of up to
four practices (primary care networks serve 30,000 to 50,000 people).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pyarrow as pa

from caremap.synth.extensions import SynthContext, synth_extension

# block services per head of population per year, in pounds, and who provides them
BLOCK_PER_HEAD = {
    "sexual_health": (12.5, "local_authority"),
    "drug_alcohol": (12.0, "local_authority"),
    "health_visiting": (14.0, "local_authority"),
    "school_nursing": (4.0, "local_authority"),
    "smoking_cessation": (1.8, "local_authority"),
    "nhs_health_check": (1.2, "local_authority"),
    "public_health": (16.5, "local_authority"),
    "nhs_111": (7.0, "ambulance_trust"),
    "out_of_hours": (8.0, "community_trust"),
    "hospice": (3.0, "community_trust"),
}
CONTRACT_TYPE = {
    "acute_trust": "aligned_payment",
    "community_trust": "aligned_payment",
    "ambulance_trust": "aligned_payment",
    "independent_sector": "aligned_payment",
    "gp_practice": "gms",
    "local_authority": "section_75",
}


def _months_covered(year: int, start: date, end: date) -> int:
    """Months of calendar ``year`` inside [start, end]."""
    lo = max(date(year, 1, 1), start)
    hi = min(date(year, 12, 31), end)
    if hi < lo:
        return 0
    return (hi.year - lo.year) * 12 + hi.month - lo.month + 1


def _fy(ctx: SynthContext) -> list[int]:
    first = ctx.start_date.year if ctx.start_date.month >= 4 else ctx.start_date.year - 1
    last = ctx.end_date.year if ctx.end_date.month >= 4 else ctx.end_date.year - 1
    return list(range(first, last + 1))


def _federations(ctx: SynthContext) -> pa.Table:
    site = ctx.tables["site"]
    sa = ctx.tables["small_area"]
    loc_of = dict(zip(sa.column("area_code").to_pylist(), sa.column("locality_code").to_pylist(),
                      strict=True))  # fmt: skip
    by_loc: dict[str, list[str]] = defaultdict(list)
    for code, stype, area in zip(site.column("site_code").to_pylist(),
                                 site.column("site_type").to_pylist(),
                                 site.column("area_code").to_pylist(), strict=True):  # fmt: skip
        if stype == "gp_practice":
            by_loc[loc_of.get(area) or "unknown"].append(code)
    rows = []
    for loc in sorted(by_loc):
        practices = sorted(by_loc[loc])
        for k, p in enumerate(practices):
            f = f"{loc}F{k // 4 + 1:02d}"
            rows.append(dict(practice_code=p, federation_code=f,
                             federation_name=f"GP Federation {loc} {k // 4 + 1}",
                             locality_code=None if loc == "unknown" else loc))  # fmt: skip
    return pa.Table.from_pylist(
        rows,
        schema=pa.schema([("practice_code", pa.string()), ("federation_code", pa.string()),
                          ("federation_name", pa.string()), ("locality_code", pa.string())]),
    )  # fmt: skip


@synth_extension("contracts", order=70)
def contracts(ctx: SynthContext) -> dict[str, pa.Table]:
    """``contract``, ``contract_line`` and ``gp_federation`` (see the module docstring)."""
    rng = ctx.rng("contracts")
    prov = ctx.tables["provider"]
    ptype = dict(zip(prov.column("provider_code").to_pylist(),
                     prov.column("provider_type").to_pylist(), strict=True))  # fmt: skip
    ics = ctx.tables["ics"].column("ics_code").to_pylist()
    commissioner = ics[0] if ics else "ICB"
    summ = ctx.activity_summary
    lines: dict[tuple[str, int], list[dict]] = defaultdict(list)
    if summ is not None and summ.num_rows:
        s = summ.to_pylist()
        agg: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for r in s:
            key = (r["provider_code"], r["setting"], r["point_of_delivery"], r["specialty"],
                   int(r["year"]))  # fmt: skip
            agg[key][0] += float(r["count"] or 0)
            agg[key][1] += float(r["cost"] or 0.0)
        for (p, setting, pod, spec, year), (count, cost) in sorted(
            agg.items(), key=lambda kv: tuple(str(x) for x in kv[0])
        ):
            months = _months_covered(year, ctx.start_date, ctx.end_date)
            if not p or count <= 0 or months == 0:
                continue
            if year not in _fy(ctx):
                continue  # January to March of the year after the last financial year
            fy = year
            planned = round(count * 12 / months * float(rng.normal(1.0, 0.03)), 1)
            price = round(cost / count, 2)
            lines[(p, fy)].append(dict(service=f"{setting}:{pod}", setting=setting,
                                       point_of_delivery=pod, specialty=spec,
                                       planned_activity=planned, unit_price=price,
                                       value=round(planned * price, 2)))  # fmt: skip
    by_type: dict[str, list[str]] = defaultdict(list)
    for code, t in ptype.items():
        by_type[t].append(code)
    for service, (per_head, t) in BLOCK_PER_HEAD.items():
        who = sorted(by_type.get(t, []))
        if not who:
            continue
        for fy in _fy(ctx):
            value = round(per_head * ctx.population * float(rng.normal(1.0, 0.02)), 2)
            lines[(who[0], fy)].append(dict(service=service, setting=None,
                                            point_of_delivery=None, specialty=None,
                                            planned_activity=None, unit_price=None,
                                            value=value, block=True))  # fmt: skip
    contract_rows, line_rows = [], []
    for (p, fy), ls in sorted(lines.items()):
        t = ptype.get(p, "independent_sector")
        base = f"C{fy % 100:02d}{p}"
        block = [x for x in ls if x.get("block")]
        other = [x for x in ls if not x.get("block")]
        for suffix, part, ctype in (("", other, CONTRACT_TYPE.get(t, "aligned_payment")),
                                    ("B", block, "block")):  # fmt: skip
            if not part:
                continue
            cid = base + suffix
            contract_rows.append(dict(contract_id=cid, commissioner_code=commissioner,
                                      provider_code=p, contract_type=ctype,
                                      start_date=date(fy, 4, 1), end_date=date(fy + 1, 3, 31),
                                      annual_value=round(sum(x["value"] for x in part), 2)))  # fmt: skip
            for k, x in enumerate(part):
                line_rows.append(dict(contract_id=cid, line_id=f"{k + 1:04d}",
                                      **{c: x[c] for c in ("service", "setting",
                                         "point_of_delivery", "specialty", "planned_activity",
                                         "unit_price", "value")}))  # fmt: skip
    contract = pa.Table.from_pylist(
        contract_rows,
        schema=pa.schema([("contract_id", pa.string()), ("commissioner_code", pa.string()),
                          ("provider_code", pa.string()), ("contract_type", pa.string()),
                          ("start_date", pa.date32()), ("end_date", pa.date32()),
                          ("annual_value", pa.float64())]),
    )  # fmt: skip
    contract_line = pa.Table.from_pylist(
        line_rows,
        schema=pa.schema([("contract_id", pa.string()), ("line_id", pa.string()),
                          ("service", pa.string()), ("setting", pa.string()),
                          ("point_of_delivery", pa.string()), ("specialty", pa.string()),
                          ("planned_activity", pa.float64()), ("unit_price", pa.float64()),
                          ("value", pa.float64())]),
    )  # fmt: skip
    return {
        "contract": contract,
        "contract_line": contract_line,
        "gp_federation": _federations(ctx),
    }
