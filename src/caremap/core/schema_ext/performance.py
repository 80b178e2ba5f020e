"""Input tables for performance and variation (issue 6).

* ``hub_performance_month``: monthly activity, utilisation, on-the-day cancellations and
  waits of elective surgical hubs and community diagnostic centres, as NHS England's hub
  and CDC returns publish them. Rows may cover sites outside the workspace's own economy
  (``peer``), so that a system can benchmark its sites against every ICS.
* ``truth.performance_outlier``: sites whose true performance the synthetic economy set
  apart on purpose, so that outlier detection can be measured (evaluation only).
"""

from __future__ import annotations

from caremap.core.schema import Column as C
from caremap.core.schema import TableSpec, register

HUB_SITE_TYPES = ("surgical_hub", "diagnostic_centre")

HUB_PERFORMANCE_MONTH = register(
    TableSpec(
        name="hub_performance_month",
        key=("site_code", "month"),
        description="Monthly performance of elective surgical hubs and community diagnostic "
        "centres: sessions, activity, cancellations and waits.",
        columns=(
            C("site_code", required=True),
            C("site_type", required=True, allowed=HUB_SITE_TYPES),
            C("provider_code"),
            C("ics_code", required=True),
            C("peer", "BOOLEAN", description="a national benchmark site outside this economy"),
            C("month", "DATE", required=True, description="first day of the month"),
            C(
                "sessions_planned",
                "INTEGER",
                required=True,
                description="theatre sessions (hubs) or scanner sessions (CDCs) planned",
            ),
            C("sessions_used", "INTEGER", required=True),
            C(
                "activity",
                "INTEGER",
                required=True,
                description="procedures (hubs) or tests (CDCs) done",
            ),
            C("booked", "INTEGER", required=True, description="patients booked for the month"),
            C(
                "cancelled_on_day",
                "INTEGER",
                required=True,
                description="booked patients cancelled on the day for non-clinical reasons",
            ),
            C("waiting", "INTEGER", required=True, description="waiting list at month end"),
            C(
                "waiting_over_target",
                "INTEGER",
                required=True,
                description="of those, waiting over 18 weeks (hubs) or 6 weeks (CDCs)",
            ),
        ),
    )
)

PERFORMANCE_OUTLIER = register(
    TableSpec(
        name="performance_outlier",
        key=("site_code", "indicator"),
        description="Sites whose true performance on an indicator was set apart on purpose.",
        columns=(
            C("site_code", required=True),
            C(
                "indicator",
                required=True,
                allowed=("utilisation", "cancellation_rate", "long_wait_share"),
            ),
            C("direction", required=True, allowed=("better", "worse")),
            C("effect", "DOUBLE", description="shift on the logit scale"),
        ),
        schema="truth",
    )
)
