"""`run_synth`: generate a synthetic economy's extracts and ingest them into the workspace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from caremap.core.ingest import LoadReport, ingest_path
from caremap.core.result import StepResult
from caremap.core.workspace import Workspace
from caremap.synth.config import SynthRunConfig
from caremap.synth.generate import SynthSummary, generate


@dataclass(frozen=True)
class SynthResult(StepResult):
    """The extracts written (``summary``) and how each file loaded (``reports``)."""

    summary: SynthSummary
    reports: list[LoadReport]

    @property
    def loaded(self) -> int:
        return sum(r.loaded for r in self.reports)

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.reports)


def run_synth(
    ws: Workspace,
    config: SynthRunConfig,
    progress: Callable[[str, float], None] | None = None,
    ingest_progress: Callable[[str, int, int], None] | None = None,
) -> SynthResult:
    """Write the extracts under ``config.out_dir`` (ground truth in ``truth/``), then ingest
    them, all through `caremap.core.ingest`'s validation and quarantine."""
    summary = generate(
        config.population,
        config.seed,
        config.out_dir,
        years=config.years,
        config=config.economy,
        progress=progress,
    )
    reports = ingest_path(ws, config.out_dir, progress=ingest_progress)
    tables = tuple(dict.fromkeys(r.table for r in reports))
    warnings = tuple(
        f"{r.file}: {r.quarantined:,} rows quarantined (see the quarantine table)"
        for r in reports
        if r.quarantined
    )
    return SynthResult(summary=summary, reports=reports, tables=tables, warnings=warnings)
