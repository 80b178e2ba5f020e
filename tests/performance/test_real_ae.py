"""SPC and funnels over the real A&E data (274 trusts, 36 months)."""

import warnings

import pandas as pd
import pytest

from caremap.performance.funnel import FunnelConfig, funnel_frame
from caremap.performance.spc import SpcConfig, spc_frame

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ae(shared_data):
    return pd.read_csv(shared_data / "nhs-open" / "ae_attendances.csv")


def test_spc_over_every_trust_and_type(ae):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pts, summ, notes = spc_frame(
            ae, SpcConfig(date="period", value="attendances", group=["org_code", "type"])
        )
    assert len(summ) == 428
    assert len(pts) == len(ae)
    assert notes and all("fewer than 12" in n or "one point" in n for n in notes)
    assert len(caught) == len(notes)
    assert (
        summ["variation_icon"]
        .isin(
            ["common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low"]
        )
        .all()
    )


def test_four_hour_performance_p_chart_for_one_trust(ae):
    rf4 = ae[(ae.org_code == "RF4") & (ae.type == "1")]
    _pts, summ, _ = spc_frame(
        rf4,
        SpcConfig(
            date="period",
            numerator="breaches",
            denominator="attendances",
            chart="p",
            improvement="decrease",
            target=0.05,
        ),
    )
    assert summ["assurance_icon"].iloc[0] in {"consistent_fail", "inconsistent"}


def test_funnel_over_all_trusts(ae):
    last = (
        ae[ae.period >= "2018-04-01"]
        .groupby("org_code", as_index=False)[["attendances", "breaches"]]
        .sum()
    )
    last = last[last.attendances > 0]
    units, summ = funnel_frame(
        last,
        FunnelConfig(
            unit="org_code",
            numerator="breaches",
            denominator="attendances",
            higher_is_better=False,
            multiplier=100,
        ),
    )
    assert len(units) == len(last)
    assert summ["phi"].iloc[0] > 1 and summ["tau2"].iloc[0] > 0
    assert (units["lower998"] <= units["lower95"]).all()
    assert units["rank"].min() == 1
