"""Settings for linkage (load with `caremap.core.config.load_config`)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from caremap.core.config import Config

# Golden demographics come from the best-ranked source first, then the most recent record.
DEFAULT_SOURCE_RANK = (
    "gp",
    "inpatient",
    "outpatient",
    "community",
    "ae",
    "social_care",
    "ambulance",
)
# NHS numbers that pass Modulus 11 but are keyed as "not known": one digit repeated and
# runs of consecutive digits. Numbers that the data itself shows shared by many different
# people are refused too (see `caremap.link.prepare`).
DEFAULT_PLACEHOLDER_NHS = (
    "0000000000",
    "1111111111",
    "2222222222",
    "3333333333",
    "4444444444",
    "5555555555",
    "6666666666",
    "7777777777",
    "8888888888",
    "9999999999",
    "1234567890",
    "0123456789",
    "9876543210",
)
DEFAULT_JUNK_DOBS = (date(1900, 1, 1), date(1901, 1, 1), date(1800, 1, 1), date(1899, 12, 31))


class LinkConfig(Config):
    """How `run_link` and `link_files` link records. Every field has a tested default."""

    match_threshold: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="probabilistic pairs at or above this probability link; empty: chosen "
        "from the model's estimated precision and recall (the threshold of highest "
        "estimated F1)",
    )
    predict_floor: float = Field(
        0.5, gt=0, lt=1, description="pairs below this are not kept (used for recall estimates)"
    )
    deterministic_pass: bool = Field(
        True, description="link valid NHS number + date of birth before the probabilistic pass"
    )
    nhs_conflict_m: float = Field(
        1e-3,
        gt=0,
        lt=1,
        description="probability that one person's records hold two different valid NHS "
        "numbers, used when the data cannot estimate it (it is estimated from records that "
        "agree on names, date of birth and postcode); never trained by EM",
    )
    nhs_conflict_min_probability: float = Field(
        0.999,
        gt=0,
        lt=1,
        description="two records with different valid NHS numbers join one person only on a "
        "pair at least this probable (the rest of the evidence overwhelming)",
    )
    twin_guard: bool | None = Field(
        None,
        description="reject probabilistic pairs that look like twins or household members "
        "(same family name, address and year of birth, but given names that disagree, or "
        "different given names and birth dates) unless their NHS numbers agree; empty: on "
        "when pairs of that kind whose identifiers can tell are mostly different people",
    )
    dob_guard: bool = Field(
        False,
        description="reject probabilistic pairs whose dates of birth disagree beyond a typo or "
        "day/month swap unless their NHS numbers agree",
    )
    source_rank: list[str] = Field(default_factory=lambda: list(DEFAULT_SOURCE_RANK))
    duplicate_free_sources: list[str] = Field(
        default_factory=list,
        description="sources that hold each person at most once: a person gets at most one "
        "record from each (one-to-one linkage)",
    )
    placeholder_nhs_numbers: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PLACEHOLDER_NHS)
    )
    junk_dates_of_birth: list[date] = Field(default_factory=lambda: list(DEFAULT_JUNK_DOBS))
    u_max_pairs: float = Field(5e5, gt=1000, description="pairs sampled to estimate u")
    em_max_pairs: float = Field(
        2e5,
        gt=1000,
        description="blocked pairs an EM training session uses at most: records are sampled "
        "when a training block holds more",
    )
    broad_rule_pairs_per_record: float = Field(
        25.0,
        ge=0,
        description="also block on broad rules (same given and family name, same date of "
        "birth, same family name, ...), cheapest first, while together they generate at "
        "most this many candidate pairs per record",
    )
    broad_rule_max_pairs: float = Field(
        1e6,
        ge=0,
        description="and at most this many candidate pairs in all (the scoring time they add)",
    )
    seed: int = 42
    memory_limit: str = Field("2GB", description="DuckDB memory limit of the linkage engine")
    threads: int | None = Field(None, ge=1)
    model_path: str | None = Field(
        None,
        description="a trained model saved by `caremap link --save-model` to use instead of "
        "training (e.g. trained on DuckDB, applied on Spark)",
    )
    incremental: bool = Field(
        False,
        description="link only source records not yet in person_link to existing persons, "
        "keeping person ids",
    )

    @field_validator("placeholder_nhs_numbers")
    @classmethod
    def _digits(cls, v: list[str]) -> list[str]:
        bad = [x for x in v if not (len(x) == 10 and x.isdigit())]
        if bad:
            raise ValueError(f"placeholder NHS numbers must be 10 digits: {bad}")
        return v


Role = Literal[
    "record_id",
    "nhs_number",
    "nhs_token",
    "identifier",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "area",
    "record_date",
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]


class FileLinkConfig(Config):
    """How `link_files` reads plain files: which column plays which role.

    ``columns`` maps a role to a column name, or to a list of columns joined with a space
    (e.g. ``address: [street_number, address_1]``). ``nhs_token`` is a pseudonymised NHS
    number (a data processing service's token: evidence exactly as an NHS number, without
    the Modulus 11 check); ``identifier`` is any other person identifier compared exactly or
    within one typo; ``area`` a small-area code (e.g. LSOA) compared exactly. ``date_format`` is a strptime format
    for text dates (default ISO, then ``%Y%m%d``).
    """

    columns: dict[str, str | list[str]]
    date_format: str | None = None
    link: LinkConfig = Field(default_factory=LinkConfig)
    one_to_one: bool = Field(
        False, description="linking two files: each file holds each person at most once"
    )

    @field_validator("columns")
    @classmethod
    def _roles(cls, v: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        unknown = sorted(set(v) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; roles are: {', '.join(ROLES)}")
        evidence = set(v) - {"record_id", "record_date"}
        if not evidence:
            raise ValueError("map at least one identifying column (e.g. given_name=...)")
        return v
