"""The caseload worklist page and its CSV: identity and reasons first, filters in the URL,
paging, and a status the team can set on each row."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from markupsafe import Markup, escape

from caremap.app import sections
from caremap.app.capabilities import PageContext, Section
from caremap.app.names import names_for
from caremap.app.sections import cell, grid
from caremap.app.worklist import STATUSES, Worklist

CSV_COLUMNS = (
    "nhs_number",
    "given_name",
    "family_name",
    "age",
    "practice",
    "tier",
    "risk_percent",
    "top_factors",
    "first_listed",
    "status",
)


def _query(args: dict, **more) -> str:
    q = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in args.items()}
    q.update(more)
    return urlencode({k: v for k, v in q.items() if v not in (None, "", 0)})


def _status_form(person_id, current, csrf: str, back: str) -> Markup:
    opts = "".join(
        f'<option value="{escape(s)}"{" selected" if s == current else ""}>{escape(s)}</option>'
        for s in STATUSES
    )
    return Markup(
        '<form method="post" action="/risk/caseload/status" class="cm-status cm-noprint">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
        f'<input type="hidden" name="person_id" value="{int(person_id)}">'
        f'<input type="hidden" name="next" value="{escape(back)}">'
        f'<select class="nhsuk-select cm-status__select" name="status" '
        f'aria-label="status">{opts}</select> '
        '<button class="nhsuk-button nhsuk-button--secondary cm-status__go" '
        'type="submit">Save</button></form>'
    )


def page_sections(ctx: PageContext, wl: Worklist, args: dict, offset: int, size: int, csrf: str):
    nm = names_for(ctx)
    loc = wl.locality
    where = (f"{nm.area(loc)} ({loc})" if nm.area(loc) != loc else loc) if loc else "all localities"
    where = f"the {where} caseload" if loc else "the caseloads of all localities"
    unset = sum(1 for r in wl.rows if r.get("status") is None)
    first = wl.rows[0] if wl.rows else None
    answer = [f"{wl.total:,} people on {where} match these filters."]
    if first:
        answer.append(
            f"Highest risk: {first.get('given_name') or ''} {first.get('family_name') or ''} "
            f"({first.get('tier')}, {100 * (first.get('score') or 0):.0f}% risk): "
            f"{first.get('top_factors') or 'no reasons recorded'}."
        )
    answer.append(f"On this page, {unset} of {len(wl.rows)} have no contact status yet.")
    back = "/risk/caseload" + (
        "?" + _query(args, offset=offset) if _query(args, offset=offset) else ""
    )
    out: list[Section] = [
        sections.question(
            f"Who on {where} should the team contact first?",
            answer,
            "Ranked by predicted risk of an emergency admission in the next 12 months.",
            total=wl.total,
        ),
        sections.filters(
            "/risk/caseload",
            [
                sections.select(
                    "practice",
                    "Practice",
                    [("", "all practices"), *[(p, nm.practice(p)) for p in wl.practices]],
                    args.get("practice"),
                ),
                sections.select(
                    "tier",
                    "Tier",
                    [("", "all tiers"), *[(t, t) for t in wl.tiers]],
                    args.get("tier"),
                ),
                sections.select(
                    "status",
                    "Status",
                    [("", "any"), ("not yet set", "not yet set"), *[(s, s) for s in STATUSES]],
                    args.get("status"),
                ),
                {
                    "name": "since",
                    "label": "New since (first listed on or after)",
                    "options": [],
                    "type": "date",
                    "current": args["since"].isoformat() if args.get("since") else "",
                },
            ],
            keep={"locality": loc} if loc and ctx.user.role == "admin" else {},
        ),
    ]
    rows = []
    for r in wl.rows:
        name = f"{r.get('given_name') or ''} {r.get('family_name') or ''}".strip() or "–"
        rows.append(
            [
                cell(name),
                cell(r.get("nhs_number") or "–"),
                cell("–" if r.get("age") is None else int(r["age"]), num=True),
                cell(nm.practice(r.get("practice_code")) if r.get("practice_code") else "–"),
                cell(r.get("top_factors") or "–"),
                cell(r.get("tier") or "–"),
                cell(f"{100 * (r.get('score') or 0):.0f}%", num=True),
                cell(str(r.get("first_listed") or "–")),
                cell(r.get("status") or "not yet set", cls="cm-status-now"),
                cell(_status_form(r["person_id"], r.get("status"), csrf, back)),
            ]
        )
    out.append(
        grid(
            f"Showing {offset + 1 if wl.rows else 0} to {offset + len(wl.rows)} of {wl.total:,}",
            [
                ("Name", ""),
                ("NHS number", ""),
                ("Age", "Age in years today"),
                ("Practice", "Registered GP practice"),
                ("Top reasons", "The features that raise this person's risk most"),
                ("Tier", ""),
                ("Risk", "Predicted risk of an emergency admission in 12 months"),
                ("First listed", "When the dashboard first listed this person"),
                ("Status", "The team's latest contact or review status"),
                ("Set status", ""),
            ],
            rows,
            note="Person-level data: this view, each download and each status change are "
            "recorded in the audit trail.",
        )
    )
    links = []
    if offset > 0:
        links.append(
            ("/risk/caseload?" + _query(args, offset=max(0, offset - size)), "Previous page")
        )
    if offset + size < wl.total:
        links.append(("/risk/caseload?" + _query(args, offset=offset + size), "Next page"))
    links.append(("/risk/caseload.csv?" + _query(args), "Download these people as CSV (audited)"))
    out.append({"kind": "links", "title": "More", "links": links})
    return out


def csv_text(ctx: PageContext, wl: Worklist) -> str:
    nm = names_for(ctx)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for r in wl.rows:
        w.writerow(
            [
                r.get("nhs_number"),
                r.get("given_name"),
                r.get("family_name"),
                r.get("age"),
                nm.practice(r.get("practice_code")) if r.get("practice_code") else "",
                r.get("tier"),
                f"{100 * (r.get('score') or 0):.1f}",
                r.get("top_factors"),
                r.get("first_listed"),
                r.get("status") or "",
            ]
        )
    return buf.getvalue()
