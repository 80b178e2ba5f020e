"""The one module that talks to Splink (pinned: splink 5.0), on DuckDB or Spark.

Everything Splink-specific lives here: the comparisons (the NHS layer's evidence), blocking,
training and prediction, and the two backends. The rest of `caremap.link` sees only Arrow
tables of scored pairs. The model is Fellegi and Sunter's (1969, "A theory for record
linkage", JASA 64:1183-1210) as implemented by Splink: u probabilities from random sampling,
m probabilities by expectation maximisation, except the NHS number levels, which are fixed
(two different valid NHS numbers are strong evidence against a match and must not be learned
away by unsupervised training).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from caremap.core.errors import CaremapError
from caremap.link.config import LinkConfig
from caremap.link.guards import EDGE_COLUMNS, edges_sql

SPLINK_VERSION = "5.0.0"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    """Which evidence columns hold any values (a comparison needs something to compare)."""

    nhs: bool = True
    ident: bool = False
    given: bool = True
    family: bool = True
    dob: bool = True
    sex: bool = True
    postcode: bool = True
    address: bool = False
    area: bool = False


def _levels():
    import splink.comparison_level_library as cll

    return cll


def comparisons(ev: Evidence, config: LinkConfig, nhs_conflict_m: float | None = None) -> list:
    """The comparisons of the NHS layer, for the evidence present. ``nhs_conflict_m`` is the
    probability that two records of one person hold two different valid NHS numbers
    (estimated from the data by `caremap.link.evidence.nhs_conflict_rate`, else
    ``config.nhs_conflict_m``)."""
    import splink.comparison_library as cl

    cll = _levels()
    out: list = []
    if ev.nhs:
        out.append(
            cl.CustomComparison(
                output_column_name="nhs",
                comparison_levels=[
                    cll.NullLevel("nhs"),
                    cll.ExactMatchLevel("nhs").configure(
                        m_probability=0.999,
                        u_probability=1e-7,
                        fix_m_probability=True,
                        fix_u_probability=True,
                    ),
                    cll.ElseLevel().configure(
                        m_probability=nhs_conflict_m or config.nhs_conflict_m,
                        u_probability=1 - 1e-7,
                        fix_m_probability=True,
                        fix_u_probability=True,
                        label_for_charts="two different valid NHS numbers",
                    ),
                ],
            )
        )
    if ev.ident:
        out.append(
            cl.CustomComparison(
                output_column_name="ident",
                comparison_levels=[
                    cll.NullLevel("ident"),
                    cll.ExactMatchLevel("ident"),
                    cll.DamerauLevenshteinLevel("ident", 1),
                    cll.ElseLevel(),
                ],
            )
        )
    if ev.given:
        levels = [cll.NullLevel("given"), cll.ExactMatchLevel("given")]
        if ev.family:
            levels.append(cll.ColumnsReversedLevel("given", "family"))
        levels += [
            cll.ArrayIntersectLevel("given_canons", 1).configure(
                label_for_charts="same after nicknames"
            ),
            cll.JaroWinklerLevel("given", 0.92),
            cll.ExactMatchLevel("given_phon").configure(label_for_charts="same Metaphone code"),
            cll.JaroWinklerLevel("given", 0.8),
            cll.ElseLevel(),
        ]
        out.append(cl.CustomComparison(output_column_name="given", comparison_levels=levels))
    if ev.family:
        levels = [
            cll.NullLevel("family"),
            cll.ExactMatchLevel("family", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("family", 0.92),
            cll.ExactMatchLevel("family_phon").configure(label_for_charts="same Metaphone code"),
            cll.JaroWinklerLevel("family", 0.8),
        ]
        if ev.sex:
            levels.append(
                cll.CustomLevel(
                    "sex_l = 'F' AND sex_r = 'F'",
                    label_for_charts="different (both female: surname change)",
                )
            )
        levels.append(cll.ElseLevel())
        out.append(cl.CustomComparison(output_column_name="family", comparison_levels=levels))
    if ev.dob:
        out.append(
            cl.CustomComparison(
                output_column_name="dob",
                comparison_levels=[
                    cll.NullLevel("dob_str"),
                    cll.ExactMatchLevel("dob"),
                    cll.CustomLevel(
                        "year(dob_l) = year(dob_r) AND month(dob_l) = day(dob_r) "
                        "AND day(dob_l) = month(dob_r)",
                        label_for_charts="day and month swapped",
                        base_dialect_str="duckdb",
                    ),
                    cll.LevenshteinLevel("dob_str", 1),
                    cll.LevenshteinLevel("dob_str", 2),
                    cll.ElseLevel(),
                ],
            )
        )
    if ev.postcode:
        out.append(
            cl.CustomComparison(
                output_column_name="postcode",
                comparison_levels=[
                    cll.NullLevel("postcode"),
                    cll.ExactMatchLevel("postcode", term_frequency_adjustments=True),
                    cll.ExactMatchLevel("pc_sector").configure(label_for_charts="same sector"),
                    cll.ExactMatchLevel("pc_district").configure(label_for_charts="same district"),
                    cll.ElseLevel(),
                ],
            )
        )
    if ev.address:
        out.append(
            cl.CustomComparison(
                output_column_name="address",
                comparison_levels=[
                    cll.NullLevel("address"),
                    cll.ExactMatchLevel("address"),
                    cll.JaroWinklerLevel("address", 0.9),
                    cll.ArrayIntersectLevel("address_tokens", 3).configure(
                        label_for_charts="three or more words in common"
                    ),
                    cll.ArrayIntersectLevel("address_tokens", 2).configure(
                        label_for_charts="two words in common"
                    ),
                    cll.JaroWinklerLevel("address", 0.7),
                    cll.ElseLevel(),
                ],
            )
        )
    if ev.area:
        out.append(
            cl.CustomComparison(
                output_column_name="area",
                comparison_levels=[
                    cll.NullLevel("area"),
                    cll.ExactMatchLevel("area", term_frequency_adjustments=True),
                    cll.ElseLevel(),
                ],
            )
        )
    if ev.sex:
        out.append(
            cl.CustomComparison(
                output_column_name="sex",
                comparison_levels=[
                    cll.NullLevel("sex"),
                    cll.ExactMatchLevel("sex"),
                    cll.ElseLevel(),
                ],
            )
        )
    return out


# Broad rules (one column, or given and family name) that find pairs the narrow rules miss
# (a replaced given name, a moved person with a typo in the date of birth); each is used only
# where it is affordable (see `affordable_broad_rules`).
BROAD_RULES: tuple[tuple[str, ...], ...] = (
    ("given", "family"),
    ("dob",),
    ("family",),
    ("given",),
    ("postcode",),
    ("address",),
    ("area", "dob_str"),
    ("area",),
)


def usable_broad_rules(ev: Evidence) -> list[tuple[str, ...]]:
    """The broad rules whose columns all hold evidence."""
    return [r for r in BROAD_RULES if all(getattr(ev, c.split("_")[0]) for c in r)]


def blocking_rules(
    ev: Evidence, exclude: str | None = None, broad: tuple[tuple[str, ...], ...] = ()
) -> list:
    """Candidate pairs: same NHS number or identifier, or date of birth plus a name initial,
    or name sounds plus place, or year of birth plus place. Each rule is narrow enough to stay
    linear at national scale; ``broad`` adds rules from `BROAD_RULES` (for inputs where they
    are affordable), ``exclude`` a column whose equal values mean "already linked"."""
    from splink import block_on

    rules = []
    if ev.nhs:
        rules.append(block_on("nhs"))
    if ev.ident:
        rules.append(block_on("ident"))
    if ev.dob and ev.given:
        rules.append(block_on("dob", "substr(given, 1, 1)"))
    if ev.dob and ev.family:
        rules.append(block_on("dob", "substr(family, 1, 1)"))
    if ev.given and ev.family:
        if ev.dob:
            # (same given and family name and year is inside this rule: the Metaphone codes
            # are functions of the names)
            rules.append(block_on("given_phon", "family_phon", "substr(dob_str, 1, 4)"))
        else:
            rules.append(block_on("given_phon", "family_phon"))
        if ev.postcode:
            rules.append(block_on("given_canon", "postcode"))
            rules.append(block_on("family", "postcode"))
        if ev.address:
            rules.append(block_on("family_phon", "address"))
        # given and family name swapped
        rules.append("l.given = r.family AND l.family = r.given")
    if ev.postcode and ev.dob:
        rules.append(block_on("postcode", "substr(dob_str, 1, 4)"))
    if ev.area and ev.dob:
        rules.append(block_on("area", "substr(dob_str, 1, 4)"))
    for cols in broad:
        rules.append(block_on(*cols))
    if not rules:
        raise CaremapError("nothing to block on: map at least a name, date of birth or NHS number")
    if exclude:
        from splink.blocking_rule_library import And, CustomRule

        rules = [
            And(
                r if not isinstance(r, str) else CustomRule(r),
                CustomRule(f"l.{exclude} <> r.{exclude}"),
            )
            for r in rules
        ]
    return rules


def em_blocks(ev: Evidence) -> list[tuple[str, ...]]:
    """Columns of the blocking rules that EM trains on (two, so every comparison is
    estimated in at least one session)."""
    blocks: list[tuple[str, ...]] = []
    if ev.dob:
        blocks.append(("dob",))
    if ev.given and ev.family:
        blocks.append(("given", "family"))
    if ev.postcode and len(blocks) < 2:
        blocks.append(("postcode",))
    if ev.area and len(blocks) < 2:
        blocks.append(("area",))
    if ev.ident and len(blocks) < 2:
        blocks.append(("ident",))
    return blocks


def tf_columns(ev: Evidence) -> list[str]:
    """Columns compared with term-frequency adjustments."""
    return [c for c in ("family", "postcode", "area") if getattr(ev, c)]


def settings(
    ev: Evidence,
    config: LinkConfig,
    link_type: str = "dedupe_only",
    exclude: str | None = None,
    broad: tuple[tuple[str, ...], ...] = (),
    nhs_conflict_m: float | None = None,
):
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="uid",
        source_dataset_column_name="source_dataset",
        comparisons=comparisons(ev, config, nhs_conflict_m),
        blocking_rules_to_generate_predictions=blocking_rules(ev, exclude, broad),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )


class SplinkBackend:
    """A Splink database API with the engine's settings (DuckDB memory limit, Spark session)."""

    def __init__(
        self, engine: str, config: LinkConfig, spark=None, scratch: str | None = None
    ) -> None:
        self.engine = engine
        if engine == "duckdb":
            import duckdb
            from splink import DuckDBAPI

            cfg: dict[str, Any] = {"memory_limit": config.memory_limit}
            if config.threads:
                cfg["threads"] = config.threads
            self.con = duckdb.connect(":memory:", config=cfg)
            self.api = DuckDBAPI(self.con)
        elif engine == "spark":
            from splink import SparkAPI

            self.con = None
            # Splink breaks Spark's lineage by writing each step to Parquet in a scratch
            # folder (removed by close()).
            self.scratch = scratch or tempfile.mkdtemp(prefix="caremap-splink-")
            spark.sparkContext.setCheckpointDir(self.scratch)
            _add_similarity_jar(spark)
            self.api = SparkAPI(spark_session=spark, break_lineage_method="parquet")
        else:
            raise CaremapError(f"unknown linkage engine {engine!r}; choose duckdb or spark")
        self.spark = spark
        self.scratch: str | None = None if engine == "duckdb" else self.scratch
        self._n = 0

    def register(self, data, name: str):
        """Register an Arrow table (DuckDB) or a Spark DataFrame (Spark) as Splink input."""
        self._n += 1
        return self.api.register(data, table_name=f"{name}_{self._n}")

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        elif self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _add_similarity_jar(spark) -> None:
    """Make Splink's string-similarity UDFs (Jaro-Winkler, ...) available to a session that
    was started without them on its classpath."""
    from splink.backends.spark import similarity_jar_location

    jar = similarity_jar_location()
    if jar not in (spark.conf.get("spark.jars", "") or ""):
        spark.sql(f"ADD JAR '{jar}'")


@dataclass
class TrainedModel:
    """A trained Splink model as JSON (stored in ``link_model`` for incremental runs)."""

    settings_json: str
    evidence: Evidence

    def settings_dict(self) -> dict:
        return json.loads(self.settings_json)


def train_and_score(
    backend: SplinkBackend,
    data,
    reps,
    ev: Evidence,
    config: LinkConfig,
    *,
    model: TrainedModel | None = None,
    em_proportions: list[float] | None = None,
    broad: tuple[tuple[str, ...], ...] = (),
    nhs_conflict_m: float | None = None,
    guard_twins: bool = True,
) -> tuple[pa.Table, TrainedModel]:
    """Train on all usable records ``data`` (unless ``model`` is given) and score candidate
    pairs of the representatives ``reps`` (see `caremap.link.reduce`), with term frequencies
    from all records.

    ``em_proportions`` (one per `em_blocks`): below 1, the EM session's block holds more
    than ``config.em_max_pairs`` pairs and Splink samples it down, probing that share of
    records to size the sample. Returns pairs at or above ``config.predict_floor`` as Arrow (``uid_l``,
    ``uid_r``, ``match_probability``, ``match_weight``, ``guarded``) and the model.
    """
    from splink import Linker

    from caremap.link.reduce import DET_GROUP

    sdf = backend.register(data, "link_input")
    dialect = "duckdb" if backend.engine == "duckdb" else "spark"
    if model is None:
        linker = Linker(
            sdf, settings(ev, config, nhs_conflict_m=nhs_conflict_m), log_level=logging.ERROR
        )
        _train(linker, ev, config, em_proportions)
        model = TrainedModel(json.dumps(linker.misc.save_model_to_json()), ev)
    else:
        linker = Linker(
            sdf, for_dialect(model.settings_dict(), ev, config, dialect), log_level=logging.ERROR
        )
    tf = {c: linker.table_management.compute_tf_table(c) for c in tf_columns(ev)}
    fresh = settings(ev, config, exclude=DET_GROUP, broad=broad)
    scoring = _with_params(model.settings_dict(), fresh.create_settings_dict(dialect))
    scorer = Linker(backend.register(reps, "link_reps"), scoring, log_level=logging.ERROR)
    for col, table in tf.items():
        scorer.table_management.register_term_frequency_lookup(table, col)
    return _predict(scorer, ev, config, guard_twins), model


def _train(linker, ev: Evidence, config: LinkConfig, em_proportions: list[float] | None) -> None:
    """u by random sampling of ``config.u_max_pairs`` pairs, the prior from deterministic
    rules, m by EM on at most ``config.em_max_pairs`` blocked pairs per session (EM needs
    tens of thousands of pairs, not hundreds of millions)."""
    from splink import block_on

    det_rules = []
    if ev.nhs:
        det_rules.append(block_on("nhs"))
    if ev.given and ev.family and ev.dob:
        det_rules.append(block_on("given", "family", "dob"))
    elif ev.ident:
        det_rules.append(block_on("ident"))
    if det_rules:
        linker.training.estimate_probability_two_random_records_match(det_rules, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
    blocks = em_blocks(ev)
    for cols, share in zip(blocks, em_proportions or [1.0] * len(blocks), strict=True):
        # Splink samples records (a hash filter on each side) down to ``max_pairs`` pairs,
        # sizing the sample from a probe of ``record_sample_proportion`` of the records.
        sampled = {"max_pairs": config.em_max_pairs, "record_sample_proportion": share}
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*cols), **(sampled if share < 1 else {})
        )


def predict_with_model(
    backend: SplinkBackend,
    model: TrainedModel,
    new_data,
    existing_data,
    config: LinkConfig,
) -> pa.Table:
    """Score new records against each other and against existing records with a stored model
    (incremental linkage: existing pairs are not rescored)."""
    from splink import Linker

    ev = model.evidence
    new_sdf = backend.register(new_data, "link_new")
    parts = []
    dialect = "duckdb" if backend.engine == "duckdb" else "spark"
    s = for_dialect(model.settings_dict(), ev, config, dialect)
    s["link_type"] = "dedupe_only"
    parts.append(_predict(Linker(new_sdf, s, log_level=logging.ERROR), ev, config))
    if existing_data is not None:
        old_sdf = backend.register(existing_data, "link_old")
        new2 = backend.register(new_data, "link_new")
        s2 = for_dialect(model.settings_dict(), ev, config, dialect)
        s2["link_type"] = "link_only"
        parts.append(_predict(Linker([new2, old_sdf], s2, log_level=logging.ERROR), ev, config))
    return pa.concat_tables(parts)


def for_dialect(saved: dict, ev: Evidence, config: LinkConfig, dialect: str) -> dict:
    """A saved model's settings for ``dialect`` (a model trained on DuckDB applied on Spark).

    Splink stores SQL in the dialect it trained on, so the comparisons are rebuilt for the
    target dialect from the same definitions and the trained m and u probabilities copied
    across level by level."""
    if (saved.get("sql_dialect") or "duckdb") == dialect:
        return saved
    return _with_params(saved, settings(ev, config).create_settings_dict(dialect))


def _with_params(saved: dict, fresh: dict) -> dict:
    """``fresh`` settings with the trained m and u probabilities of ``saved``, level by level."""
    saved_comps = {c["output_column_name"]: c for c in saved.get("comparisons", [])}
    for comp in fresh["comparisons"]:
        old = saved_comps.get(comp["output_column_name"])
        if old is None or len(old["comparison_levels"]) != len(comp["comparison_levels"]):
            raise CaremapError(
                f"saved model does not match this version's comparison {comp['output_column_name']}"
            )
        for new_level, old_level in zip(
            comp["comparison_levels"], old["comparison_levels"], strict=True
        ):
            for key in ("m_probability", "u_probability"):
                if old_level.get(key) is not None:
                    new_level[key] = old_level[key]
    fresh["probability_two_random_records_match"] = saved["probability_two_random_records_match"]
    return fresh


def _predict(linker, ev: Evidence, config: LinkConfig, guard_twins: bool = True) -> pa.Table:
    df = linker.inference.predict(threshold_match_probability=config.predict_floor)
    sql = edges_sql(df.physical_name, ev, config, guard_twins)
    if linker._sql_dialect_str != "duckdb":
        import sqlglot

        sql = sqlglot.transpile(sql, read="duckdb", write=linker._sql_dialect_str)[0]
    out = linker.misc.query_sql(sql, "splink_df")
    table = out.as_pyarrow_table()
    df.drop_table_from_database_and_remove_from_cache()
    return table.select(list(EDGE_COLUMNS))
