"""caremap.synth: a synthetic health economy, deterministic for a seed (`caremap synth`).

Step: `run_synth(ws, SynthRunConfig) -> SynthResult` (``synth/step.py``; config in
``synth/config.py``): ``generate`` writes Parquet extracts of every canonical table
(geography, sites, source records with identity noise, conditions, three years of activity,
and the later domains that plug in through `caremap.synth.extensions`) with the ground
truth under ``truth/``, then ingests them. Reads nothing; writes the canonical tables
(``small_area``, ``population``, ``postcode``, ``site``, ``source_record``, ``condition``,
``activity`` ...) and ``truth.*``. See docs/synth.md.
"""

from caremap.synth.config import NoiseConfig, SynthConfig, SynthRunConfig
from caremap.synth.generate import SynthSummary, generate
from caremap.synth.step import SynthResult, run_synth

__all__ = [
    "NoiseConfig",
    "SynthConfig",
    "SynthResult",
    "SynthRunConfig",
    "SynthSummary",
    "generate",
    "run_synth",
]
