"""caremap.synth: a synthetic health economy, deterministic for a seed.

``generate(population, seed, out_dir)`` writes Parquet extracts of every canonical table
(geography, sites, source records with identity noise, conditions, three years of activity)
and the ground truth under ``out_dir/truth/``. Later domains plug in through
`caremap.synth.extensions`. See docs/synth.md.
"""

from caremap.synth.config import NoiseConfig, SynthConfig
from caremap.synth.generate import SynthSummary, generate

__all__ = ["NoiseConfig", "SynthConfig", "SynthSummary", "generate"]
